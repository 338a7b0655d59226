import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { SCHEMA, CONFIG_KEYS, type KeySpec } from '../../src/core/config/schema';
import { validateConfig, type Problem } from '../../src/core/config/validate';
import { fileSystemEnvironment, loadConfigFile } from '../../src/core/config/environment';
import { configJsonSchema, configJsonSchemaText } from '../../src/core/config/jsonSchema';
import { configTemplate } from '../../src/core/config/template';
import { closestMatches } from '../../src/core/config/suggest';
import { setValueEdit } from '../../src/core/config/assist';
import { REPO_ROOT } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
fs.writeFileSync(path.join(dir, 'reviews.csv'), 'text,label\ngood,pos\nbad,neg\n');
const env = fileSystemEnvironment(dir);
const check = (text: string) => validateConfig(text, env);
const only = (text: string, code: Problem['code']) => check(text).problems.filter((p) => p.code === code);
const slice = (text: string, p: Problem) => text.slice(p.range[0], p.range[1]);

test('the reference recipe is the default of every hyperparameter', () => {
  const { config, problems } = check('train_file: reviews.csv\n');
  assert.deepEqual(problems, []);
  assert.ok(config);
  assert.equal(config.model, 'distilbert-base-uncased');
  assert.equal(config.learning_rate, 2e-5);
  assert.equal(config.per_device_train_batch_size, 20);
  assert.equal(config.per_device_eval_batch_size, 20);
  assert.equal(config.seed, 42);
  assert.deepEqual([config.adam_beta1, config.adam_beta2, config.adam_epsilon], [0.9, 0.999, 1e-8]);
  assert.equal(config.lr_scheduler_type, 'linear');
  assert.equal(config.num_train_epochs, 2);
  assert.equal(config.eval_strategy, 'epoch');
  assert.equal(config.max_grad_norm, 1);
  assert.equal(config.weight_decay, 0);
  assert.equal(config.warmup_steps, 0);
  assert.equal(config.f1_average, 'weighted');
  assert.equal(config.train_file, path.join(dir, 'reviews.csv'), 'paths resolve against the config file');
  assert.equal(config.output_dir, path.join(dir, 'distilbert-finetuned'));
});

test('each class of mistake is reported at the range of the offending text', () => {
  const text =
    'train_file: reviews.csv\nlearnig_rate: 3e-5\nseed: forty\nnum_train_epochs: -1\nlr_scheduler_type: cosin\ntext_column: body\nvalidation_file: missing.csv\nwarmup_steps: 10\nwarmup_ratio: 0.1\n';
  const { problems, config } = check(text);
  assert.equal(config, undefined);
  const byCode = Object.fromEntries(problems.map((p) => [p.code, p]));
  assert.equal(slice(text, byCode['unknown-key']), 'learnig_rate');
  assert.match(byCode['unknown-key'].message, /Did you mean `learning_rate`\?/);
  assert.deepEqual(byCode['unknown-key'].fix?.renameKeyTo?.[0], 'learning_rate');
  assert.equal(slice(text, byCode.type), 'forty');
  assert.equal(slice(text, byCode.range), '-1');
  assert.deepEqual(byCode.range.fix?.replaceValue, ['2'], 'an exclusive bound suggests the default');
  assert.equal(slice(text, byCode.enum), 'cosin');
  assert.match(byCode.enum.message, /Did you mean `cosine`\?/);
  assert.equal(slice(text, byCode['missing-column']), 'body');
  assert.match(byCode['missing-column'].message, /its columns are `text`, `label`/);
  assert.equal(slice(text, byCode['missing-file']), 'missing.csv');
  assert.equal(slice(text, byCode.conflict), 'warmup_ratio');
});

test('YAML syntax errors, a missing train_file and a non-mapping are errors', () => {
  assert.equal(only('train_file: [reviews.csv\n', 'yaml').length, 1);
  assert.equal(only('seed: 1\n', 'required').length, 1);
  assert.equal(only('- a\n- b\n', 'not-a-mapping').length, 1);
  assert.equal(only('train_file: reviews.csv\nseed: 1\nseed: 2\n', 'duplicate-key').length, 1);
});

test('ranges: inclusive bounds clamp to the bound, integers must be whole', () => {
  const [long] = only('train_file: reviews.csv\nmax_length: 1000\n', 'range');
  assert.deepEqual(long.fix?.replaceValue, ['512']);
  const [beta] = only('train_file: reviews.csv\nadam_beta1: 1.5\n', 'range');
  assert.deepEqual(beta.fix?.replaceValue, ['0.9'], 'an exclusive bound (< 1) suggests the default');
  const [batch] = only('train_file: reviews.csv\nper_device_train_batch_size: 0\n', 'range');
  assert.deepEqual(batch.fix?.replaceValue, ['1']);
  const [whole] = only('train_file: reviews.csv\nseed: 4.5\n', 'type');
  assert.match(whole.message, /whole number/);
});

test('risky values are warnings, and the config still resolves', () => {
  const { problems, config } = check('train_file: reviews.csv\nlearning_rate: 0.1\n');
  assert.equal(problems.length, 1);
  assert.equal(problems[0].severity, 'warning');
  assert.ok(config);
});

test('output_dir: the data folder is refused; a folder with files we did not write is refused unless overwrite_output_dir', () => {
  assert.equal(only('train_file: reviews.csv\noutput_dir: .\n', 'output-dir')[0].severity, 'error');
  fs.mkdirSync(path.join(dir, 'busy'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'busy', 'notes.txt'), 'mine');
  fs.writeFileSync(path.join(dir, 'busy', 'config.json'), '{}');
  const [refused] = only('train_file: reviews.csv\noutput_dir: busy\n', 'output-dir');
  assert.equal(refused.severity, 'error');
  assert.match(refused.message, /holds files this extension did not write \(config\.json, notes\.txt\)/);
  assert.deepEqual(refused.fix?.replaceValue, ['busy-2'], 'the quick fix: a new folder');
  const [allowed] = only('train_file: reviews.csv\noutput_dir: busy\noverwrite_output_dir: true\n', 'output-dir');
  assert.equal(allowed.severity, 'warning');
  assert.match(allowed.message, /config\.json in .* will be replaced by this run's; its other files stay/);
  // A previous run of ours is not foreign: its outputs and checkpoints may be replaced.
  fs.mkdirSync(path.join(dir, 'ours', 'checkpoint-5'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'ours', 'checkpoint-5', 'resume_state.json'), '{}');
  for (const name of ['trainer_state.json', 'config.json', 'README.md', '.DS_Store'])
    fs.writeFileSync(path.join(dir, 'ours', name), '{}');
  assert.deepEqual(only('train_file: reviews.csv\noutput_dir: ours\n', 'output-dir'), []);
  assert.equal(only('train_file: reviews.csv\noverwrite_output_dir: maybe\n', 'type')[0].key, 'overwrite_output_dir');
});

test('loadConfigFile names the file and line of the first error', () => {
  const file = path.join(dir, 'bad.finetune.yaml');
  fs.writeFileSync(file, 'train_file: reviews.csv\nseed: -3\n');
  assert.throws(() => loadConfigFile(file), /bad\.finetune\.yaml:2: `seed` must be >= 0/);
});

test('schema, JSON Schema file, template and validation come from one definition', () => {
  // The shipped JSON Schema is exactly what the schema table generates.
  assert.equal(fs.readFileSync(path.join(REPO_ROOT, 'schemas/finetune.schema.json'), 'utf8'), configJsonSchemaText());
  const jsonSchema = configJsonSchema() as { properties: Record<string, { default?: unknown; enum?: string[] }> };
  assert.deepEqual(Object.keys(jsonSchema.properties), CONFIG_KEYS);
  for (const key of CONFIG_KEYS) {
    const spec = SCHEMA[key] as KeySpec;
    assert.deepEqual(jsonSchema.properties[key].default, spec.default, key);
  }
  // The template parses back to the schema's defaults, and validates cleanly.
  const template = configTemplate({
    trainFile: 'reviews.csv',
    textColumn: 'text',
    labelColumn: 'label',
    outputDir: 'out',
  });
  const parsed = parseYaml(template) as Record<string, unknown>;
  for (const [key, value] of Object.entries(parsed)) {
    if (!['train_file', 'text_column', 'label_column', 'output_dir'].includes(key))
      assert.deepEqual(value, (SCHEMA as Record<string, KeySpec>)[key].default, key);
  }
  const { problems, config } = check(template);
  assert.deepEqual(problems, []);
  // Validation knows every key of the schema and no other.
  for (const key of CONFIG_KEYS) assert.equal(only(`train_file: reviews.csv\n${key}:\n`, 'unknown-key').length, 0, key);
  assert.ok(config);
  assert.deepEqual(
    Object.keys(config).filter((k) => !(k in SCHEMA)),
    [],
  );
});

test('did-you-mean finds near misspellings and substrings, not noise', () => {
  assert.deepEqual(closestMatches('learnig_rate', CONFIG_KEYS)[0], 'learning_rate');
  assert.deepEqual(closestMatches('batch_size', CONFIG_KEYS).slice(0, 2).sort(), [
    'per_device_eval_batch_size',
    'per_device_train_batch_size',
  ]);
  assert.deepEqual(closestMatches('zzzz', CONFIG_KEYS), []);
});

test('model: a folder beside the config wins over a hub id of the same shape; otherwise it is a hub id', () => {
  fs.mkdirSync(path.join(dir, 'models', 'mine'), { recursive: true });
  assert.equal(check('train_file: reviews.csv\nmodel: models/mine\n').config?.model, path.join(dir, 'models', 'mine'));
  assert.equal(
    check('train_file: reviews.csv\nmodel: acme/distilbert-reviews\n').config?.model,
    'acme/distilbert-reviews',
  );
  assert.equal(check('train_file: reviews.csv\n').config?.model, 'distilbert-base-uncased');
});

test('setting a value replaces it where it is written, or adds its line', () => {
  const apply = (text: string, value: string) => {
    const edit = setValueEdit(text, 'output_dir', value);
    return text.slice(0, edit.range[0]) + edit.text + text.slice(edit.range[1]);
  };
  assert.equal(
    apply('train_file: a.csv\noutput_dir: out # here\nseed: 1\n', 'out-2'),
    'train_file: a.csv\noutput_dir: out-2 # here\nseed: 1\n',
  );
  assert.equal(apply('train_file: a.csv\n', 'out-2'), 'train_file: a.csv\noutput_dir: out-2\n');
  assert.equal(apply('train_file: a.csv', 'out-2'), 'train_file: a.csv\noutput_dir: out-2\n');
  assert.equal(apply('', 'out-2'), 'output_dir: out-2\n');
});

test('numbers that mean nothing (NaN, infinities, overflow) and hostile YAML are refused, each at its place', () => {
  const first = (text: string) => check(text).problems.find((p) => p.severity === 'error');
  const nan = first('train_file: reviews.csv\nlearning_rate: .nan\n');
  assert.equal(nan?.message, '`learning_rate` must be a number, not `NaN`.');
  // learning_rate has no upper bound, so only finiteness stops .inf.
  assert.equal(
    first('train_file: reviews.csv\nlearning_rate: .inf\n')?.message,
    '`learning_rate` must be a finite number, not Infinity.',
  );
  assert.equal(
    first('train_file: reviews.csv\nweight_decay: -.inf\n')?.message,
    '`weight_decay` must be a finite number, not -Infinity.',
  );
  assert.equal(
    first('train_file: reviews.csv\nnum_train_epochs: 1e400\n')?.message,
    '`num_train_epochs` must be a finite number, not Infinity.',
  );
  // A typed string stays a string: no tag turns text into a number or code.
  assert.equal(
    first('train_file: reviews.csv\nlearning_rate: !!str 2e-5\n')?.message,
    '`learning_rate` must be a number, not the text "2e-5".',
  );
  assert.match(
    first('train_file: !!js/function "function(){}"\n')?.message ?? '',
    /^`train_file`: no file at .*function\(\)\{\}\.$/,
  );
  // An alias bomb (a billion laughs: 9^8 copies if expanded) is read as one list node, never expanded.
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
  const bomb = levels
    .map(
      (name, i) =>
        `${name}: &${name} [${
          i === 0
            ? '"lol"'
            : Array(9)
                .fill(`*${levels[i - 1]}`)
                .join(',')
        }]`,
    )
    .join('\n');
  const exploded = check(`train_file: reviews.csv\n${bomb}\nlearning_rate: *i\n`);
  assert.equal(exploded.config, undefined);
  assert.ok(exploded.problems.some((p) => p.message === '`learning_rate` must be a number, not a list.'));
  // A plain alias to a number is that number.
  assert.equal(check('train_file: reviews.csv\nlogging_steps: &s 7\neval_steps: *s\n').config?.eval_steps, 7);
  // A merge key does not smuggle values past validation.
  assert.equal(first('train_file: reviews.csv\n<<: {learning_rate: 3}\n')?.message, 'Unknown key `<<`.');
});

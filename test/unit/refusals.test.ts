// Every refusal the product makes, held by a test: odd files, broken model folders, checkpoints
// that do not fit the data, and CLI misuse. Each case is a real CLI process on real files; it must
// exit 1 with one line `error: MESSAGE — HINT` on stderr (no stack trace), and leave the dataset as
// it was. The bad-input corpus (test/fixtures/bad) covers the datasets and configs a user opens in
// the editor; this table covers the rest.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { REPO_ROOT, smallModel, tempDir, uciSample } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const dir = tempDir('refusals');

interface Refusal {
  name: string;
  /** Files to write before the run (relative path -> contents), or a function preparing `dir`. */
  setup?: (at: (relative: string) => string) => void;
  args: string[];
  stdin?: string;
  /** The whole first line of stderr after `error: `. */
  error: RegExp;
}

const CONFIG = 'model: ./small-model\nper_device_train_batch_size: 16\nmax_length: 16\ndevice: cpu\n';
/** A config training `train_file` into its own output folder. */
const config = (name: string, extra: string) => (at: (relative: string) => string) =>
  fs.writeFileSync(at(`${name}.finetune.yaml`), `${CONFIG}output_dir: out-${name}\n${extra}`);
const write = (relative: string, contents: string) => (at: (relative: string) => string) => {
  fs.mkdirSync(path.dirname(at(relative)), { recursive: true });
  fs.writeFileSync(at(relative), contents);
};
/** A copy of the small model with one change. */
const modelWith = (name: string, change: (folder: string) => void) => (at: (relative: string) => string) => {
  fs.cpSync(at('small-model'), at(name), { recursive: true });
  change(at(name));
};
const both =
  (...steps: Array<(at: (relative: string) => string) => void>) =>
  (at: (relative: string) => string) =>
    steps.forEach((step) => step(at));
const editJson = (file: string, edit: (json: Record<string, unknown>) => void) => {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
};
const fifo = (relative: string) => (at: (relative: string) => string) => {
  if (!fs.existsSync(at(relative))) execFileSync('mkfifo', [at(relative)]);
};
const folder = (relative: string) => (at: (relative: string) => string) =>
  fs.mkdirSync(at(relative), { recursive: true });
const predict = (model: string) => ['predict', '--model', model, '--text', 'fine', '--device', 'cpu'];

const REFUSALS: Refusal[] = [
  // Datasets that are not files.
  {
    name: 'a folder as train_file',
    setup: both(folder('data-folder'), config('folder', 'train_file: data-folder\n')),
    args: ['train', 'folder.finetune.yaml'],
    error: /^folder\.finetune\.yaml:\d+: `train_file`: .*data-folder is a folder; name a dataset file in it\./,
  },
  {
    name: 'a named pipe as train_file',
    setup: both(fifo('pipe.csv'), config('pipe', 'train_file: pipe.csv\n')),
    args: ['train', 'pipe.finetune.yaml'],
    error: /^pipe\.finetune\.yaml:\d+: `train_file`: .*pipe\.csv is not a regular file \(a pipe, socket or device\)/,
  },
  {
    name: 'a named pipe given to evaluate',
    setup: fifo('pipe.csv'),
    args: ['evaluate', '--model', './small-model', '--data', 'pipe.csv', '--device', 'cpu'],
    error: /^.*pipe\.csv is not a regular file \(a pipe, socket or device\) — A dataset is read more than once/,
  },
  {
    name: 'a folder given to evaluate',
    setup: folder('data-folder'),
    args: ['evaluate', '--model', './small-model', '--data', 'data-folder', '--device', 'cpu'],
    error: /^.*data-folder is a folder, not a dataset file$/,
  },
  {
    name: 'a file in a format this does not read',
    setup: write('notes.md', '# notes\n'),
    args: ['evaluate', '--model', './small-model', '--data', 'notes.md', '--device', 'cpu'],
    error: /^notes\.md: not a dataset format this reads — Use a \.csv, \.tsv, \.jsonl or \.json file\.$/,
  },
  // Datasets whose contents cannot mean a classification task.
  {
    name: 'a header naming a column twice',
    setup: both(
      write('twice.csv', 'text,text,label\na,b,pos\nc,d,neg\n'),
      config('twice', 'train_file: twice.csv\ntext_column: text\nlabel_column: label\n'),
    ),
    args: ['train', 'twice.finetune.yaml'],
    error: /^twice\.finetune\.yaml:\d+: `train_file`: twice\.csv:1: the header names column `text` twice\./,
  },
  {
    name: 'a JSON lines row that is not an object',
    setup: both(
      write('arrays.jsonl', '{"text": "good", "label": "pos"}\n[1, 2]\n'),
      config('arrays', 'train_file: arrays.jsonl\ntext_column: text\nlabel_column: label\n'),
    ),
    args: ['train', 'arrays.finetune.yaml'],
    error: /^arrays\.jsonl:2: expected a JSON object like \{"text": \.\.\., "label": \.\.\.\}/,
  },
  {
    name: 'a JSON file that holds no array of rows',
    setup: write('scalar.json', '{"text": "good", "label": "pos"}\n'),
    args: ['evaluate', '--model', './small-model', '--data', 'scalar.json', '--device', 'cpu'],
    error:
      /^scalar\.json: expected an array of objects \(or an object holding one array, like \{"data": \[\.\.\.\]\}\)/,
  },
  {
    name: 'no row with both a text and a label',
    setup: both(
      write('halves.csv', 'text,label\ngood,\n,neg\nfine,\n'),
      config('halves', 'train_file: halves.csv\ntext_column: text\nlabel_column: label\n'),
    ),
    args: ['train', 'halves.finetune.yaml'],
    error:
      /^halves\.csv: no row has both a text \(`text`\) and a label \(`label`\): 1 with an empty text, 2 with an empty label — Check text_column and label_column\.$/,
  },
  {
    name: 'columns that cannot be guessed',
    setup: both(
      write('numbers.csv', `a,b\n${Array.from({ length: 20 }, (_, i) => `${i},${i * 2}`).join('\n')}\n`),
      config('numbers', 'train_file: numbers.csv\n'),
    ),
    args: ['train', 'numbers.finetune.yaml'],
    error:
      /^numbers\.csv: cannot tell which column holds the (text|label) \(columns: a, b\) — Set (text|label)_column in the config\.$/,
  },
  {
    name: 'evaluate on a file with no labelled row',
    setup: write('unlabelled.csv', 'text,label\ngood,\nbad,\n'),
    args: [
      'evaluate',
      '--model',
      './small-model',
      '--data',
      'unlabelled.csv',
      '--text-column',
      'text',
      '--label-column',
      'label',
      '--device',
      'cpu',
    ],
    error: /^unlabelled\.csv: (no row has both a text and a label|all 2 rows have an empty label)/,
  },
  {
    name: 'f1_average binary with three classes',
    setup: both(
      write(
        'three.csv',
        `text,label\n${Array.from({ length: 30 }, (_, i) => `text number ${i},${['a', 'b', 'c'][i % 3]}`).join('\n')}\n`,
      ),
      config('three', 'train_file: three.csv\nf1_average: binary\n'),
    ),
    args: ['train', 'three.finetune.yaml'],
    error: /^f1_average binary needs exactly 2 labels; the data has 3 — Use weighted, macro or micro\.$/,
  },
  // Model folders that are not DistilBERT models this can load.
  {
    name: 'a model folder without config.json',
    setup: modelWith('model-no-config', (f) => fs.rmSync(path.join(f, 'config.json'))),
    args: predict('./model-no-config'),
    error: /^.*model-no-config: no config\.json \(not a model folder\)/,
  },
  {
    name: 'a config.json that is not JSON',
    setup: modelWith('model-bad-json', (f) => fs.writeFileSync(path.join(f, 'config.json'), '{"dim": 32,')),
    args: predict('./model-bad-json'),
    error: /^.*model-bad-json\/config\.json: invalid JSON \(/,
  },
  {
    name: 'a config.json that cannot be read (a folder)',
    setup: modelWith('model-config-folder', (f) => {
      fs.rmSync(path.join(f, 'config.json'));
      fs.mkdirSync(path.join(f, 'config.json'));
    }),
    args: predict('./model-config-folder'),
    error: /^.*model-config-folder\/config\.json: cannot read \(EISDIR\)$/,
  },
  {
    name: 'a model.safetensors that cannot be read (a folder)',
    setup: modelWith('model-weights-folder', (f) => {
      fs.rmSync(path.join(f, 'model.safetensors'));
      fs.mkdirSync(path.join(f, 'model.safetensors'));
    }),
    args: predict('./model-weights-folder'),
    error: /^.*model-weights-folder\/model\.safetensors: cannot read \(.*EISDIR/,
  },
  {
    name: 'an activation this model does not implement',
    setup: modelWith('model-tanh', (f) => editJson(path.join(f, 'config.json'), (j) => (j.activation = 'tanh'))),
    args: predict('./model-tanh'),
    error: /^.*model-tanh\/config\.json: activation "tanh" is not supported \(gelu or relu\)$/,
  },
  {
    name: 'a hidden size that the heads do not divide',
    setup: modelWith('model-heads', (f) => editJson(path.join(f, 'config.json'), (j) => (j.n_heads = 5))),
    args: predict('./model-heads'),
    error: /^.*model-heads\/config\.json: dim \d+ is not divisible by n_heads 5$/,
  },
  {
    name: 'weights only as pytorch_model.bin',
    setup: modelWith('model-torch', (f) =>
      fs.renameSync(path.join(f, 'model.safetensors'), path.join(f, 'pytorch_model.bin')),
    ),
    args: predict('./model-torch'),
    error:
      /^\.\/model-torch has its weights in a format this extension does not read \(pytorch_model\.bin or sharded safetensors\) — /,
  },
  {
    name: 'a model.safetensors missing a tensor',
    setup: modelWith('model-missing-tensor', (f) => {
      // Keep the header's JSON valid: rename one tensor in place, same length.
      const file = path.join(f, 'model.safetensors');
      const bytes = fs.readFileSync(file);
      const at = bytes.indexOf('layer.0.ffn.lin1.weight');
      assert.ok(at > 0, 'the tensor is there to rename');
      bytes.write('layer.0.ffn.lin1.wEIGHT', at);
      fs.writeFileSync(file, bytes);
    }),
    args: predict('./model-missing-tensor'),
    error:
      /^\.\/model-missing-tensor: model\.safetensors has no tensor distilbert\.transformer\.layer\.0\.ffn\.lin1\.weight \(nor transformer\.layer\.0\.ffn\.lin1\.weight\)/,
  },
  {
    name: 'a model folder without a tokenizer',
    setup: modelWith('model-no-tokenizer', (f) => {
      fs.rmSync(path.join(f, 'tokenizer.json'));
      fs.rmSync(path.join(f, 'vocab.txt'));
    }),
    args: predict('./model-no-tokenizer'),
    error: /^.*model-no-tokenizer: no tokenizer\.json or vocab\.txt/,
  },
  {
    name: 'a tokenizer that is not WordPiece',
    setup: modelWith('model-bpe', (f) => {
      editJson(path.join(f, 'tokenizer.json'), (j) => ((j.model as Record<string, unknown>).type = 'BPE'));
      fs.rmSync(path.join(f, 'vocab.txt'));
    }),
    args: predict('./model-bpe'),
    error: /^.*tokenizer\.json: the tokenizer model is BPE, not WordPiece$/,
  },
  {
    name: 'a tokenizer with another normalizer',
    setup: modelWith('model-nfc', (f) => {
      editJson(path.join(f, 'tokenizer.json'), (j) => (j.normalizer = { type: 'NFC' }));
      fs.rmSync(path.join(f, 'vocab.txt'));
    }),
    args: predict('./model-nfc'),
    error: /^.*tokenizer\.json: normalizer NFC is not supported \(BertNormalizer\)$/,
  },
  {
    name: 'a vocabulary without [CLS]',
    setup: modelWith('model-no-cls', (f) => {
      fs.rmSync(path.join(f, 'tokenizer.json'));
      const vocab = path.join(f, 'vocab.txt');
      fs.writeFileSync(vocab, fs.readFileSync(vocab, 'utf8').replace('[CLS]\n', '[CLX]\n'));
    }),
    args: predict('./model-no-cls'),
    error: /^the vocabulary has no \[CLS\] token/,
  },
  // Checkpoints that cannot be resumed, or not with this data.
  {
    name: 'resuming from a folder that is not a checkpoint',
    setup: both(
      (at) => fs.cpSync(at('small-model'), at('not-a-checkpoint'), { recursive: true }),
      config('notckpt', 'train_file: reviews.csv\nresume_from_checkpoint: not-a-checkpoint\n'),
    ),
    args: ['train', 'notckpt.finetune.yaml'],
    error:
      /^resume_from_checkpoint: .*not-a-checkpoint is not a checkpoint this extension wrote \(no resume_state\.json\)/,
  },
  {
    name: 'a checkpoint without its optimizer state',
    setup: (at) => {
      trainedCheckpoint(at, 'noopt');
      fs.rmSync(at('out-noopt/checkpoint-4/optimizer.safetensors'));
    },
    args: ['train', 'noopt.finetune.yaml'],
    error: /^.*checkpoint-4 has no optimizer\.safetensors: it is not a checkpoint this extension wrote/,
  },
  {
    name: 'a checkpoint whose resume_state.json is unreadable',
    setup: (at) => {
      trainedCheckpoint(at, 'badstate');
      fs.writeFileSync(at('out-badstate/checkpoint-4/resume_state.json'), '{"global_step": ');
    },
    args: ['train', 'badstate.finetune.yaml'],
    error: /^.*checkpoint-4 cannot be resumed: resume_state\.json is missing or unreadable \(/,
  },
  {
    name: 'resuming with data whose labels changed',
    setup: (at) => {
      trainedCheckpoint(at, 'relabel');
      fs.writeFileSync(
        at('reviews-relabel.csv'),
        fs
          .readFileSync(at('reviews-relabel.csv'), 'utf8')
          .replace(/,positive$/gm, ',good')
          .replace(/,negative$/gm, ',bad'),
      );
    },
    args: ['train', 'relabel.finetune.yaml'],
    error: /^.*checkpoint-4 was trained with labels negative, positive; the data now has bad, good/,
  },
  {
    name: 'resuming with data that has other rows',
    setup: (at) => {
      trainedCheckpoint(at, 'rows');
      const lines = fs.readFileSync(at('reviews-rows.csv'), 'utf8').trimEnd().split('\n');
      fs.writeFileSync(at('reviews-rows.csv'), `${lines.slice(0, -10).join('\n')}\n`);
    },
    args: ['train', 'rows.finetune.yaml'],
    error: /^.*checkpoint-4 was trained on 64 examples; the data now gives 56/,
  },
  // The CLI used wrongly.
  {
    name: 'train without a config',
    args: ['train'],
    error: /^train needs one config file: distilbert-finetune train CONFIG\.finetune\.yaml$/,
  },
  {
    name: 'a config that does not exist',
    args: ['train', 'nowhere.finetune.yaml'],
    error: /^nowhere\.finetune\.yaml: no such config file/,
  },
  {
    name: 'evaluate without --data',
    args: ['evaluate', '--model', './small-model'],
    error: /^evaluate needs --model DIR and --data FILE$/,
  },
  {
    name: 'evaluate with an unknown F1 average',
    args: ['evaluate', '--model', './small-model', '--data', 'reviews.csv', '--f1-average', 'mean'],
    error: /^--f1-average mean: expected weighted, macro, micro or binary$/,
  },
  {
    name: 'predict without a model',
    args: ['predict', '--text', 'hi'],
    error: /^predict needs --model DIR \(or a hub id\)$/,
  },
  {
    name: 'predict without a text',
    args: ['predict', '--model', './small-model'],
    error: /^predict needs at least one --text$/,
  },
  { name: 'tokenize without a model', args: ['tokenize'], error: /^tokenize needs --model DIR$/ },
  {
    name: 'tokenize with a max length below 2',
    args: ['tokenize', '--model', './small-model', '--max-length', '1'],
    error: /^--max-length 1: expected a whole number >= 2$/,
  },
  {
    name: 'tokenize fed a line that is not JSON',
    args: ['tokenize', '--model', './small-model'],
    stdin: '{"text": "ok"}\nnot json\n',
    error: /^stdin:2: invalid JSON \(/,
  },
  {
    name: 'tokenize fed an object without text',
    args: ['tokenize', '--model', './small-model'],
    stdin: '{"sentence": "ok"}\n',
    error: /^stdin:1: expected \{"text": "\.\.\."\}$/,
  },
  {
    name: 'golden without a folder',
    args: ['golden'],
    error: /^golden needs one folder: distilbert-finetune golden DIR$/,
  },
  {
    name: 'golden on a folder without cases.json',
    args: ['golden', 'small-model', '--device', 'cpu'],
    error: /^small-model: cannot read cases\.json \(/,
  },
  {
    name: 'an unknown option',
    args: ['train', 'x.finetune.yaml', '--fast'],
    error: /^Unknown option '--fast'.* — Run `distilbert-finetune --help` for the options\.$/,
  },
];

/** A finished one-epoch run into out-NAME (its own copy of the data, reviews-NAME.csv), so checkpoint-4 exists. */
function trainedCheckpoint(at: (relative: string) => string, name: string): void {
  fs.copyFileSync(at('reviews.csv'), at(`reviews-${name}.csv`));
  fs.writeFileSync(
    at(`${name}.finetune.yaml`),
    `${CONFIG}output_dir: out-${name}\ntrain_file: reviews-${name}.csv\nnum_train_epochs: 1\n`,
  );
  const run = spawnSync(process.execPath, [CLI, 'train', `${name}.finetune.yaml`], { cwd: dir, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.ok(fs.existsSync(at(`out-${name}/checkpoint-4/resume_state.json`)), 'the run left checkpoint-4');
  fs.appendFileSync(at(`${name}.finetune.yaml`), 'resume_from_checkpoint: true\n');
}

before(() => {
  smallModel(path.join(dir, 'small-model'), true);
  uciSample(dir, 80);
});

for (const refusal of REFUSALS) {
  test(`refused with one line: ${refusal.name}`, () => {
    refusal.setup?.((relative) => path.join(dir, relative));
    const datasets = fs
      .readdirSync(dir)
      .filter((n) => /\.(csv|jsonl|json)$/.test(n) && fs.statSync(path.join(dir, n)).isFile());
    const before = new Map(datasets.map((n) => [n, fs.readFileSync(path.join(dir, n))]));
    const result = spawnSync(process.execPath, [CLI, ...refusal.args], {
      cwd: dir,
      encoding: 'utf8',
      input: refusal.stdin ?? '',
      timeout: 120_000,
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
    });
    assert.equal(result.status, 1, `exit code 1 (user error): ${result.stderr}`);
    const line = /^error: (.*)$/m.exec(result.stderr)?.[1] ?? '';
    assert.match(line, refusal.error, `stderr: ${result.stderr}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    for (const [name, bytes] of before)
      assert.ok(fs.readFileSync(path.join(dir, name)).equals(bytes), `${name} unchanged`);
  });
}

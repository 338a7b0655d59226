// The page's components, behind one small module: @vscode/webview-ui-toolkit is archived
// upstream, so replacing it touches this file only. Everything else builds pages with these.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeDivider,
  vsCodeProgressRing,
  vsCodeTag,
} from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDataGrid(),
  vsCodeDataGridRow(),
  vsCodeDataGridCell(),
  vsCodeDivider(),
  vsCodeProgressRing(),
  vsCodeTag(),
);

type Child = Node | string | undefined | false | null;

/** An element with attributes and children; strings become text (never HTML). */
export function h(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) if (child !== undefined && child !== false && child !== null) element.append(child);
  return element;
}

export function button(
  label: string,
  onClick: () => void,
  appearance: 'primary' | 'secondary' = 'secondary',
): HTMLElement {
  const element = h('vscode-button', { appearance });
  element.textContent = label;
  element.addEventListener('click', onClick);
  return element;
}

export function tag(text: string): HTMLElement {
  return h('vscode-tag', {}, text);
}

export function divider(): HTMLElement {
  return h('vscode-divider', { role: 'separator' });
}

export function spinner(label: string): HTMLElement {
  return h('span', { class: 'busy' }, h('vscode-progress-ring', { 'aria-label': label }), label);
}

/** A read-only table: a header row and rows of text cells. */
export function grid(label: string, headers: string[], rows: string[][], columnWidths?: string): HTMLElement {
  const widths: Record<string, string> = columnWidths ? { 'grid-template-columns': columnWidths } : {};
  const table = h('vscode-data-grid', { 'aria-label': label, 'generate-header': 'none', ...widths });
  // Rows written by hand (not from rowsData) need the column template themselves.
  const row = (cells: string[], header: boolean) =>
    h(
      'vscode-data-grid-row',
      { ...(header ? { 'row-type': 'header' } : {}), ...widths },
      ...cells.map((text, i) =>
        h(
          'vscode-data-grid-cell',
          { 'grid-column': String(i + 1), ...(header ? { 'cell-type': 'columnheader' } : {}) },
          text,
        ),
      ),
    );
  table.append(row(headers, true), ...rows.map((cells) => row(cells, false)));
  // A narrow panel scrolls the table sideways rather than cutting columns.
  return h('div', { class: 'table-scroll' }, table);
}

import { compile, type HtmlToTextOptions } from 'html-to-text';

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];

/*
 * Page chrome and code are not part of a document's meaning and would only dilute retrieval:
 * navigation, site headers and footers, forms, scripts, styles and embedded media are skipped.
 */
const SKIPPED = [
  'head',
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'canvas',
  'iframe',
  'img',
  'nav',
  'form',
  'button',
  'select',
  '[role=navigation]',
  '[aria-hidden=true]',
  'body > header',
  'body > footer',
];

const OPTIONS: HtmlToTextOptions = {
  // Chunking needs the text's own lines, not lines wrapped at 80 columns.
  wordwrap: false,
  // A page with a <main> element says where its content is; otherwise the whole body is used.
  baseElements: { selectors: ['main'], returnDomByDefault: true },
  selectors: [
    ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
    // Headings stay as they were written (the default shouts them in capitals).
    ...HEADINGS.map((selector) => ({ selector, options: { uppercase: false } })),
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

const convert = compile(OPTIONS);

/** The readable text of an HTML document: headings, paragraphs, lists and tables as text. */
export function htmlToPlainText(html: string): string {
  return convert(html);
}

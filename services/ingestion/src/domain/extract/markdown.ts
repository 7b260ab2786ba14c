import MarkdownIt from 'markdown-it';
import { htmlToPlainText } from './html';

// Raw HTML inside Markdown is kept, so that htmlToPlainText drops its scripts and markup too.
const markdown = new MarkdownIt({ html: true, linkify: false });

/**
 * Markdown to plain text: rendered by a CommonMark parser and read back like HTML, so emphasis,
 * link targets, images and fences lose their markup while headings, list items, table cells and
 * code stay as text.
 */
export function markdownToPlainText(source: string): string {
  return htmlToPlainText(markdown.render(source));
}

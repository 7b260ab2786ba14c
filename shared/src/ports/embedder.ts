/** Turns texts into unit-length vectors. */
export interface Embedder {
  readonly name: string;
  readonly dimensions: number;
  /** Embeds passages for the index. */
  embedDocuments(texts: readonly string[]): Promise<Float32Array[]>;
  /** Embeds a search query (some models prefix queries differently). */
  embedQuery(text: string): Promise<Float32Array>;
}

import type {
  ObjectInfo,
  ObjectStore,
  UploadRequest,
  UploadTarget,
} from '../../ports/object-store';

export interface LocalObjectStoreOptions {
  root: string;
  secret: string;
  publicUrl: string;
}

// PLACEHOLDER: replaced by the real implementation.
export class LocalObjectStore implements ObjectStore {
  constructor(readonly options: LocalObjectStoreOptions) {}
  async createUpload(_key: string, _request: UploadRequest): Promise<UploadTarget> {
    throw new Error('not implemented');
  }
  async head(_key: string): Promise<ObjectInfo | undefined> {
    throw new Error('not implemented');
  }
  async get(_key: string): Promise<Buffer> {
    throw new Error('not implemented');
  }
  async put(_key: string, _body: Buffer, _contentType: string): Promise<void> {
    throw new Error('not implemented');
  }
  async delete(_key: string): Promise<void> {
    throw new Error('not implemented');
  }
  async deletePrefix(_prefix: string): Promise<number> {
    throw new Error('not implemented');
  }
}

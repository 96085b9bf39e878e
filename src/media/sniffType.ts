/**
 * A file's type from its bytes (magic numbers), never from its name: `file-type`, loaded on first
 * use (it costs a start ~50 ms and ~13 MB that an instance without uploads never needs).
 */
type FileType = typeof import('file-type');
let loaded: Promise<FileType> | undefined;
const fileType = () => (loaded ??= import('file-type'));

export async function fileTypeFromBuffer(bytes: Uint8Array | ArrayBuffer): ReturnType<FileType['fileTypeFromBuffer']> {
  return (await fileType()).fileTypeFromBuffer(bytes);
}

export async function fileTypeFromFile(filePath: string): ReturnType<FileType['fileTypeFromFile']> {
  return (await fileType()).fileTypeFromFile(filePath);
}

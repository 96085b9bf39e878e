import type { FastifyInstance } from 'fastify';

/**
 * Tiny but real image and video files the emulator serves at `<emulator>/_samples/<name>`
 * (`.png`, `.jpg`, `.gif`, `.webp`, `.mp4`, `.mov`), so sandbox posts and tests can refer to a
 * remote media URL that really answers (the emulated platforms fetch every URL they are given).
 * Any other name answers 404.
 */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(64, 1), Buffer.from([0xff, 0xd9])]);
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([26, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.from([13, 0, 0, 0, 0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0])]);
export const SAMPLE_MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.from([0, 0, 0, 0]), Buffer.from('mp42isom'), Buffer.alloc(2048, 0)]);
const MOV = Buffer.concat([Buffer.from([0, 0, 0, 0x14]), Buffer.from('ftypqt  '), Buffer.from([0, 0, 0, 0]), Buffer.from('qt  '), Buffer.alloc(2048, 0)]);

const SAMPLES: Record<string, { type: string; bytes: Buffer }> = {
  png: { type: 'image/png', bytes: PNG },
  jpg: { type: 'image/jpeg', bytes: JPEG },
  jpeg: { type: 'image/jpeg', bytes: JPEG },
  gif: { type: 'image/gif', bytes: GIF },
  webp: { type: 'image/webp', bytes: WEBP },
  mp4: { type: 'video/mp4', bytes: SAMPLE_MP4 },
  mov: { type: 'video/quicktime', bytes: MOV },
};

export function sampleFor(name: string): { type: string; bytes: Buffer } | undefined {
  return SAMPLES[name.split('.').pop()?.toLowerCase() ?? ''];
}

export function registerSampleMedia(app: FastifyInstance): void {
  app.get('/_samples/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const sample = sampleFor(name);
    if (!sample) return reply.status(404).send({ error: 'no such sample' });
    return reply.header('content-type', sample.type).send(sample.bytes);
  });
}

// An HTTP API (payload format 2.0) handler: answers every request with a small JSON greeting.
export const handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    message: process.env.GREETING ?? 'hello from hangar',
    stage: process.env.STAGE ?? null,
    path: event?.rawPath ?? '/',
  }),
});

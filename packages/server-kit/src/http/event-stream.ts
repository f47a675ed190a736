/** Whether an Accept header asks for Server-Sent Events (`text/event-stream`, any case). */
export function wantsEventStream(accept: string | string[] | undefined): boolean {
  if (typeof accept !== 'string') return false;
  return accept
    .split(',')
    .some((range) => range.split(';')[0]!.trim().toLowerCase() === 'text/event-stream');
}

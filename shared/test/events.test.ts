import { createEvent, parseEvent, SUBSCRIPTIONS, EVENT_TYPES } from '@jitkb/shared';

describe('events', () => {
  it('builds and parses an envelope', () => {
    const event = createEvent('file.expired', 'tenant-a', { projectId: 'p1', fileId: 'f1' });
    expect(event).toMatchObject({ type: 'file.expired', version: 1, tenantId: 'tenant-a' });
    expect(parseEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it('rejects an event whose data does not match its type', () => {
    expect(() => createEvent('file.ingested', 't', { projectId: 'p' } as never)).toThrow();
    expect(() => parseEvent({ type: 'file.unknown' })).toThrow();
  });

  it('routes every event type to at least one consumer', () => {
    const consumed = new Set(Object.values(SUBSCRIPTIONS).flat());
    expect([...consumed].sort()).toEqual([...EVENT_TYPES].sort());
  });
});

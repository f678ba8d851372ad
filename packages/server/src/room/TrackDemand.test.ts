import { describe, expect, it } from 'vitest';
import { TrackDemand } from './TrackDemand.js';

describe('TrackDemand', () => {
  it('wants a track while any holder wants it, and says when a holder changed something', () => {
    const demand = new TrackDemand();
    expect(demand.empty).toBe(true);
    expect(demand.set('mix', [{ userId: 'a', streamType: 'main', kind: 'video' }])).toBe(true);
    expect(demand.set('mix', [{ userId: 'a', streamType: 'main', kind: 'video' }])).toBe(false);
    expect(demand.set('rec', [{ userId: 'a', streamType: 'main', kind: 'video' }])).toBe(true);
    expect(demand.has('a', 'main', 'video')).toBe(true);
    expect(demand.has('a', 'main', 'audio')).toBe(false);
    expect(demand.has('a', 'auxiliary', 'video')).toBe(false);
    expect(demand.set('mix', [])).toBe(true);
    expect(demand.has('a', 'main', 'video')).toBe(true);
    expect(demand.set('rec', [{ userId: 'b', streamType: 'main', kind: 'audio' }])).toBe(true);
    expect(demand.has('a', 'main', 'video')).toBe(false);
    expect(demand.set('rec', [])).toBe(true);
    expect(demand.empty).toBe(true);
  });
});

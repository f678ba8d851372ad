import { describe, expect, it } from 'vitest';
import { parleySignature, tencentSign } from './sign.js';

describe('callback signatures', () => {
  it("reproduces Tencent's documented Sign vector", () => {
    const body =
      '{\n\t"EventGroupId":\t2,\n\t"EventType":\t204,\n\t"CallbackTs":\t1664209748188,\n\t"EventInfo":\t{\n\t\t"RoomId":\t8489,\n\t\t"EventTs":\t1664209748,\n\t\t"EventMsTs":\t1664209748180,\n\t\t"UserId":\t"user_85034614",\n\t\t"Reason":\t0\n\t}\n}';
    expect(tencentSign('123654', body)).toBe('kkoFeO3Oh2ZHnjtg8tEAQhtXK16/KI05W3BQff8IvGA=');
  });

  it('binds the extra signature to its timestamp', () => {
    expect(parleySignature('k', '{}', 1)).not.toBe(parleySignature('k', '{}', 2));
    expect(parleySignature('k', '{}', 1)).toMatch(/^t=1,v1=[0-9a-f]{64}$/);
  });
});

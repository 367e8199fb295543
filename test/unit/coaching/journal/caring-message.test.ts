/** The caring message a safety signal shows: contacts, the coach, and no clinical words. */
import { screenReflection } from '../../../../src/ai/safety';
import { caringMessage } from '../../../../src/coaching/journal/caring-message';

describe('caringMessage', () => {
  const high = screenReflection('Saya ingin mati saja.');
  const medium = screenReflection('Saya di-bully senior di kantor.');
  const none = screenReflection('Hari ini pelayanan lancar.');

  it.each(['id', 'en'] as const)('%s: the contacts and the coach, for a high hit', (locale) => {
    const m = caringMessage(high, locale, { coachName: 'Ibu Sari Wulandari' });
    const all = `${m.title} ${m.body} ${m.contacts.map((c) => `${c.label} ${c.value}`).join(' ')}`;
    expect(all).toContain('119');
    expect(all).toContain('112');
    expect(m.body).toContain('Ibu Sari Wulandari');
    expect(m.contacts.map((c) => c.value)).toEqual([
      locale === 'id' ? '119 (tekan 8)' : '119 (press 8)',
      '112',
      'Ibu Sari Wulandari',
    ]);
    expect(m.title.length).toBeGreaterThan(0);
  });

  it('Indonesian: warm, says the coach was told and that Cermin steps back', () => {
    const m = caringMessage(high, 'id', { coachName: 'Pak Yusuf' });
    expect(m.body).toContain('Coach Anda, Pak Yusuf, sudah diberi tahu');
    expect(m.body).toContain('Cermin tidak menanggapi');
    expect(m.body).toContain('SEJIWA');
    expect(m.body).not.toMatch(/depresi|gangguan|diagnosis|seharusnya Anda/i);
  });

  it('English: says the coach was told and that Cermin steps back', () => {
    const m = caringMessage(high, 'en', { coachName: 'Mr Yusuf' });
    expect(m.body).toContain('Your coach, Mr Yusuf, has been told');
    expect(m.body).toContain('will not respond');
    expect(m.body).not.toMatch(/depress|disorder|diagnos/i);
  });

  it('a medium hit: the coach is told, but Cermin does not say it steps back', () => {
    const id = caringMessage(medium, 'id', { coachName: 'Bu Rina' });
    expect(id.body).toContain('Bu Rina');
    expect(id.body).toContain('sudah diberi tahu');
    expect(id.body).not.toContain('tidak menanggapi');
    const en = caringMessage(medium, 'en', {});
    expect(en.body).toContain('Your course coach has been told');
    expect(en.body).not.toContain('will not respond');
  });

  it('without a coach name: no coach contact, a generic mention, numbers still there', () => {
    const m = caringMessage(high, 'id', { coachName: '   ' });
    expect(m.contacts.map((c) => c.value)).toEqual(['119 (tekan 8)', '112']);
    expect(m.body).toContain('Coach kursus Anda sudah diberi tahu');
  });

  it('with no hits: contacts only, no claim that a coach was told', () => {
    for (const locale of ['id', 'en'] as const) {
      const m = caringMessage(none, locale, { coachName: 'Bu Rina' });
      expect(m.body).toContain('119');
      expect(m.body).toContain('112');
      expect(m.body).not.toMatch(/diberi tahu|has been told/);
    }
  });
});

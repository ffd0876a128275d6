// Display helpers: money as the server sends it (exact decimal strings), never through floats.
type Money = { amount: string; currency: string };

export function money(m: Money): string {
  return `${m.amount} ${m.currency}`;
}

export function moneyList(list: readonly Money[]): string {
  return list.length ? list.map(money).join(', ') : '—';
}

export function isZero(m: Money): boolean {
  return /^0*\.?0*$/.test(m.amount.replace('-', ''));
}

export const STATUS_LABEL: Record<string, string> = {
  DUE: 'Due',
  DUE_INCOMPLETE: 'Due but incomplete',
  NOTHING_DUE: 'Nothing due',
};

export const METHOD_LABEL: Record<string, string> = { PAYPAL: 'PayPal', BANK_WIRE: 'Bank wire', CHECK: 'Check' };

export function date(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

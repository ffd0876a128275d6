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

/** A bank file's kind after its row summary (SEPA with its execution date, Wise); nothing for CSV and PayPal files. */
export function bankFile(f: { format: string; executionDate?: string | null; superseded: boolean }): string {
  if (f.format === 'SEPA_PAIN_001_001_09') return ` · SEPA XML, executes ${f.executionDate ?? '?'}${f.superseded ? ' (superseded)' : ''}`;
  return f.format === 'WISE_BATCH_CSV' ? ' · Wise batch' : '';
}

export function date(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';
}

/** Exact sums per currency: amounts are decimal strings with the currency's fixed number of decimals. */
export function sumByCurrency(list: readonly Money[]): Money[] {
  const totals = new Map<string, { units: bigint; decimals: number }>();
  for (const m of list) {
    const [whole, fraction = ''] = m.amount.split('.');
    const t = totals.get(m.currency) ?? { units: 0n, decimals: fraction.length };
    t.units += BigInt(whole + fraction.padEnd(t.decimals, '0'));
    totals.set(m.currency, t);
  }
  return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, { units, decimals }]) => {
    const digits = units.toString().padStart(decimals + 1, '0');
    const amount = decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
    return { amount, currency };
  });
}

function units(m: Money, decimals: number): bigint {
  const [whole, fraction = ''] = m.amount.split('.');
  return BigInt(whole + fraction.padEnd(decimals, '0').slice(0, decimals));
}

/** a >= b, exactly, for two amounts of one currency. */
export function atLeast(a: Money, b: Money): boolean {
  const decimals = Math.max(a.amount.split('.')[1]?.length ?? 0, b.amount.split('.')[1]?.length ?? 0);
  return units(a, decimals) >= units(b, decimals);
}

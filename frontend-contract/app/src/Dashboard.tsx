// The first page: per currency what is due now, held and paid, and a chart of commission earned and
// paid per month over the last 12 months (plain SVG, one per currency: amounts are never added across).
import { Link } from 'react-router';
import { DashboardDocument, type DashboardQuery } from '../../generated/graphql';
import { isZero, money } from './format';
import { useQuery } from './hooks';

type Month = DashboardQuery['commissionByMonth'][number];
type Money = { amount: string; currency: string };

const MONTH = new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' });
const MONTH_YEAR = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });

export function Dashboard() {
  const { data, error } = useQuery(DashboardDocument, { months: 12 });
  if (!data) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  const currencies = data.affiliateTotals.map((t) => t.currency);
  return (
    <section>
      <h1>Dashboard</h1>
      <div className="cards">
        {data.affiliateTotals.map((t) => (
          <article key={t.currency} className="card" aria-labelledby={`total-${t.currency}`}>
            <h2 id={`total-${t.currency}`}>{t.currency}</h2>
            <dl>
              <dt>Due now</dt>
              <dd data-testid={`due-${t.currency}`}>{money(t.due)}</dd>
              <dt>Held</dt>
              <dd>{money(t.reserve)}</dd>
              <dt>Paid</dt>
              <dd>{money(t.paid)}</dd>
            </dl>
            {!isZero(t.dueBelowMinimum) && (
              <p className="below">
                {money(t.dueBelowMinimum)} of it is below the minimum payout ({t.affiliatesBelowMinimum} affiliate(s)).
              </p>
            )}
            <Link to="/affiliates?status=DUE">Affiliates due</Link>
          </article>
        ))}
      </div>
      <h2>Commission per month, last 12 months</h2>
      <div className="charts">
        {currencies.map((currency) => (
          <Chart key={currency} currency={currency} months={data.commissionByMonth} />
        ))}
      </div>
    </section>
  );
}

const amountIn = (list: readonly Money[], currency: string) => Number(list.find((m) => m.currency === currency)?.amount ?? 0);

/** Grouped bars, earned and paid, per month. The numbers go through floats for drawing only; the
 *  accessible name carries the exact amounts. */
function Chart({ currency, months }: { currency: string; months: readonly Month[] }) {
  const W = 640;
  const H = 220;
  const left = 56;
  const bottom = 28;
  const earned = months.map((m) => amountIn(m.earned, currency));
  const paid = months.map((m) => amountIn(m.paid, currency));
  const top = Math.max(1, ...earned, ...paid);
  const slot = (W - left - 8) / months.length;
  const bar = Math.max(2, slot / 2 - 3);
  const y = (v: number) => H - bottom - (v / top) * (H - bottom - 12);
  const exact = (list: readonly Money[]) => list.find((m) => m.currency === currency)?.amount ?? '0';
  const label =
    `Commission earned and paid per month in ${currency}, last 12 months: ` +
    months.map((m) => `${MONTH_YEAR.format(new Date(m.month))} earned ${exact(m.earned)}, paid ${exact(m.paid)}`).join('; ');
  return (
    <figure className="chart">
      <figcaption>
        {currency}: <span className="key earned">earned</span> <span className="key paid">paid</span>
      </figcaption>
      <svg role="img" aria-label={label} viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="xMidYMid meet">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={left} x2={W} y1={y(top * f)} y2={y(top * f)} className="gridline" />
            <text x={left - 6} y={y(top * f) + 4} textAnchor="end" className="axis">
              {Math.round(top * f).toLocaleString('en-GB')}
            </text>
          </g>
        ))}
        {months.map((m, i) => {
          const x = left + i * slot + 2;
          return (
            <g key={m.month}>
              <rect x={x} y={y(earned[i])} width={bar} height={H - bottom - y(earned[i])} className="earned" />
              <rect x={x + bar + 2} y={y(paid[i])} width={bar} height={H - bottom - y(paid[i])} className="paid" />
              <text x={x + bar} y={H - 10} textAnchor="middle" className="axis">
                {MONTH.format(new Date(m.month))}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

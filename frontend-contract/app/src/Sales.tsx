// Every sale of the program, newest first; filters in the URL; "Refund" with an Amount (empty: the whole sale).
import { useCallback, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  RefundSaleDocument,
  SaleFilterChoicesDocument,
  SalesDocument,
  type SaleFilter,
  type SalesQuery,
  type SaleStatus,
} from '../../generated/graphql';
import { request, succeeded } from './api';
import { Dialog, Scroll } from './Dialog';
import { date, money } from './format';
import { useQuery } from './hooks';

type Sale = SalesQuery['sales']['edges'][number]['node'];
const STATUSES: [SaleStatus, string][] = [
  ['COMPLETED', 'Completed'],
  ['PARTIALLY_REFUNDED', 'Partially refunded'],
  ['REFUNDED', 'Refunded'],
  ['CHARGED_BACK', 'Charged back'],
];
const FIELDS = ['product', 'affiliate', 'status', 'from', 'to'] as const;

/** A yyyy-mm-dd from the date field as the start of that day, UTC. */
const dayStart = (day: string) => (day ? `${day}T00:00:00Z` : null);
const dayAfter = (day: string) => (day ? new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString() : null);

export function Sales() {
  const [params, setParams] = useSearchParams();
  const value = (name: (typeof FIELDS)[number]) => params.get(name) ?? '';
  const filter: SaleFilter = {
    productId: value('product') || null,
    affiliateId: value('affiliate') || null,
    status: value('status') ? [value('status') as SaleStatus] : null,
    occurredFrom: dayStart(value('from')),
    occurredTo: dayAfter(value('to')), // "To" is inclusive of its day
  };
  const key = JSON.stringify(filter);
  const choices = useQuery(SaleFilterChoicesDocument, {});
  const [rows, setRows] = useState<Sale[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [refunding, setRefunding] = useState<Sale | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const data = await request(SalesDocument, { filter: JSON.parse(key) as SaleFilter, first: 50, after });
        const page = data.sales.edges.map((e) => e.node);
        setRows((old) => (after ? [...old, ...page] : page));
        setTotal(data.sales.totalCount);
        setNext(data.sales.pageInfo.hasNextPage ? (data.sales.pageInfo.endCursor ?? null) : null);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [key],
  );
  useEffect(() => void load(null), [load]);
  const set = (name: string, v: string) =>
    setParams((old) => {
      const n = new URLSearchParams(old);
      if (v) n.set(name, v);
      else n.delete(name);
      return n;
    });

  return (
    <section data-loading={loading}>
      <h1>Sales</h1>
      <div className="filters">
        <label>
          Product
          <select value={value('product')} onChange={(e) => set('product', e.target.value)}>
            <option value="">All</option>
            {choices.data?.products.edges.map(({ node }) => <option key={node.id} value={node.id}>{node.name}</option>)}
          </select>
        </label>
        <label>
          Affiliate
          <select value={value('affiliate')} onChange={(e) => set('affiliate', e.target.value)}>
            <option value="">All</option>
            {choices.data?.affiliates.edges.map(({ node }) => <option key={node.id} value={node.id}>{node.name}</option>)}
          </select>
        </label>
        <label>
          Status
          <select value={value('status')} onChange={(e) => set('status', e.target.value)}>
            <option value="">All</option>
            {STATUSES.map(([s, name]) => <option key={s} value={s}>{name}</option>)}
          </select>
        </label>
        <label>
          From
          <input type="date" value={value('from')} onChange={(e) => set('from', e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={value('to')} onChange={(e) => set('to', e.target.value)} />
        </label>
      </div>
      <p className="count" data-testid="sales-count">{rows.length} of {total} shown</p>
      {error && <p className="error" role="alert">{error}</p>}
      <Scroll label="Sales">
        <table className="grid">
          <thead>
            <tr><th>Date</th><th>Sale</th><th>Product</th><th>Affiliate</th><th>Amount</th><th>Refunded</th><th>Commission</th><th>Status</th><th></th></tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id} data-sale={s.externalId}>
                <td>{date(s.occurredAt)}</td>
                <td>{s.externalId}</td>
                <td>{s.product.name}</td>
                <td><a href={`#/affiliates/${encodeURIComponent(s.affiliate.id)}`}>{s.affiliate.name}</a></td>
                <td className="num">{money(s.amount)}</td>
                <td className="num">{money(s.refunded)}</td>
                <td className="num">{money(s.commission)}</td>
                <td>{STATUSES.find(([x]) => x === s.status)?.[1] ?? s.status}</td>
                <td>
                  {(s.status === 'COMPLETED' || s.status === 'PARTIALLY_REFUNDED') && (
                    <button type="button" className="secondary" onClick={() => setRefunding(s)}>
                      Refund
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      {!loading && rows.length === 0 && <p>No sale matches.</p>}
      {next && <button type="button" disabled={loading} onClick={() => void load(next)}>Load more</button>}
      {refunding && (
        <RefundDialog
          sale={refunding}
          onClose={(done) => {
            setRefunding(null);
            if (done) void load(null);
          }}
        />
      )}
    </section>
  );
}

function RefundDialog({ sale, onClose }: { sale: Sale; onClose: (done: boolean) => void }) {
  const [amount, setAmount] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const refund = async () => {
    setBusy(true);
    try {
      const input = { externalId: sale.externalId, amount: amount.trim() ? { amount: amount.trim(), currency: sale.amount.currency } : null };
      succeeded((await request(RefundSaleDocument, { input })).refundSale, 'RefundSaleSuccess');
      onClose(true);
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Refund sale ${sale.externalId}`} onClose={() => onClose(false)}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void refund();
        }}
      >
        <p>
          {sale.product.name} for {sale.affiliate.name}: {money(sale.amount)}, {money(sale.refunded)} refunded so far.
          The commission shrinks in proportion; what was already paid becomes owed.
        </p>
        <label className="field">
          Amount
          <input name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} placeholder={`empty: all that is left, in ${sale.amount.currency}`} />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" className="secondary" onClick={() => onClose(false)}>Cancel</button>
          <button type="submit" disabled={busy}>Refund</button>
        </div>
      </form>
    </Dialog>
  );
}

// The pay run's table: approval and payment status filters, search, sort, cursor pages, ticked rows.
import { useCallback, useEffect, useState } from 'react';
import {
  AffiliatesTableDocument,
  type AffiliatesTableQuery,
  type AffiliateSort,
  type ApprovalStatus,
  type PaymentStatus,
} from '../../generated/graphql';
import { request } from './api';
import { ExportDialog } from './ExportDialog';
import { METHOD_LABEL, STATUS_LABEL, isZero, money } from './format';

export type Row = AffiliatesTableQuery['affiliates']['edges'][number]['node'];
const PAGE = 100;

export function AffiliatesTable() {
  const [approval, setApproval] = useState<ApprovalStatus | ''>('');
  const [status, setStatus] = useState<PaymentStatus | ''>('');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<AffiliateSort>('DUE_DESC');
  const [rows, setRows] = useState<Row[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const data = await request(AffiliatesTableDocument, {
          filter: {
            approvalStatus: approval ? [approval] : null,
            paymentStatus: status ? [status] : null,
            search: search.trim() || null,
          },
          sort,
          first: PAGE,
          after,
        });
        const page = data.affiliates.edges.map((e) => e.node);
        setRows((old) => (after ? [...old, ...page] : page));
        setTotal(data.affiliates.totalCount);
        setNext(data.affiliates.pageInfo.hasNextPage ? (data.affiliates.pageInfo.endCursor ?? null) : null);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [approval, status, search, sort],
  );
  useEffect(() => {
    setTicked(new Set());
    void load(null);
  }, [load]);

  const allTicked = rows.length > 0 && rows.every((r) => ticked.has(r.id));
  const toggle = (id: string) =>
    setTicked((old) => {
      const s = new Set(old);
      if (s.has(id)) s.delete(id);
      else s.add(id);
      return s;
    });

  return (
    <section data-loading={loading}>
      <h1>Affiliates</h1>
      <div className="filters">
        <label>
          Payment status
          <select name="paymentStatus" value={status} onChange={(e) => setStatus(e.target.value as PaymentStatus | '')}>
            <option value="">All</option>
            <option value="DUE">Due</option>
            <option value="DUE_INCOMPLETE">Due but incomplete</option>
            <option value="NOTHING_DUE">Nothing due</option>
          </select>
        </label>
        <label>
          Approval
          <select name="approvalStatus" value={approval} onChange={(e) => setApproval(e.target.value as ApprovalStatus | '')}>
            <option value="">All</option>
            <option value="APPROVED">Approved</option>
            <option value="PENDING">Pending</option>
            <option value="DECLINED">Declined</option>
          </select>
        </label>
        <label>
          Search
          <input name="search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name or email" />
        </label>
        <label>
          Sort
          <select name="sort" value={sort} onChange={(e) => setSort(e.target.value as AffiliateSort)}>
            <option value="DUE_DESC">Most due first</option>
            <option value="NAME">Name</option>
            <option value="CREATED_AT">Joined</option>
          </select>
        </label>
      </div>
      <div className="actions">
        <span className="count" data-testid="count">
          {rows.length} of {total} shown · {ticked.size} ticked
        </span>
        <button type="button" disabled={ticked.size === 0} onClick={() => setExporting(true)}>
          Export payment details
        </button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <table className="grid">
        <thead>
          <tr>
            <th>
              <input
                type="checkbox"
                aria-label="Tick all"
                checked={allTicked}
                onChange={() => setTicked(allTicked ? new Set() : new Set(rows.map((r) => r.id)))}
              />
            </th>
            <th>Name</th>
            <th>Approval</th>
            <th>Payment status</th>
            <th>Payment methods</th>
            <th>Due</th>
            <th>Reserve</th>
            <th>Paid</th>
            <th>Owed</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} className={ticked.has(r.id) ? 'ticked' : ''}>
              <td>
                <input type="checkbox" aria-label={`Tick ${r.name}`} checked={ticked.has(r.id)} onChange={() => toggle(r.id)} />
              </td>
              <td>
                <a href={`#/affiliates/${encodeURIComponent(r.id)}`}>{r.name}</a>
                <div className="muted">{r.email}</div>
              </td>
              <td>{r.approvalStatus.toLowerCase()}</td>
              <td>
                <StatusBadge status={r.paymentStatus} reasons={r.incompleteReasons.map((x) => x.message)} />
              </td>
              <td>
                {r.paymentMethods.map((m) => (
                  <span key={m.type} className={m.preferred ? 'method preferred' : 'method'} title={m.summary}>
                    {METHOD_LABEL[m.type]}
                  </span>
                ))}
              </td>
              <MoneyCell list={r.balances.map((b) => b.due)} />
              <MoneyCell list={r.balances.map((b) => b.reserve)} />
              <MoneyCell list={r.balances.map((b) => b.paid)} />
              <MoneyCell list={r.balances.map((b) => b.owed)} />
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && rows.length === 0 && <p className="muted">No affiliate matches.</p>}
      {next && (
        <button type="button" disabled={loading} onClick={() => void load(next)}>
          Load more
        </button>
      )}
      {exporting && (
        <ExportDialog
          affiliates={rows.filter((r) => ticked.has(r.id))}
          onClose={(changed) => {
            setExporting(false);
            if (changed) {
              setTicked(new Set());
              void load(null);
            }
          }}
        />
      )}
    </section>
  );
}

/** One line per currency, zero amounts left out. */
function MoneyCell({ list }: { list: { amount: string; currency: string }[] }) {
  const shown = list.filter((m) => !isZero(m));
  return (
    <td className="num">
      {shown.length ? shown.map((m) => <div key={m.currency}>{money(m)}</div>) : '—'}
    </td>
  );
}

/** The payment status; "Due but incomplete" shows its reasons in a tooltip on hover (or focus). */
export function StatusBadge({ status, reasons }: { status: string; reasons: string[] }) {
  return (
    <span className={`badge ${status.toLowerCase()}`} tabIndex={reasons.length ? 0 : undefined}>
      {STATUS_LABEL[status] ?? status}
      {reasons.length > 0 && (
        <>
          <span className="why" aria-hidden="true">?</span>
          <span className="tip" role="tooltip">
            {reasons.map((r) => <span key={r}>{r}</span>)}
          </span>
        </>
      )}
    </span>
  );
}

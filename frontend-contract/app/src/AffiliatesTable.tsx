// The pay run's table. Filter, sort and search live in the URL (Back and reload bring the view back,
// with the rows that were ticked);
// the footer totals the Due column per currency for the whole filter; amounts below the currency's
// minimum payout are marked; "Select all N matching" ticks every affiliate of the filter; a row
// updates itself when a payoutBecameDue event names its affiliate.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  AffiliatesTableDocument,
  AffiliateTotalsDocument,
  PayoutDueToastDocument,
  SetApprovalStatusDocument,
  type AffiliateFilter,
  type AffiliatesTableQuery,
  type AffiliateSort,
  type ApprovalStatus,
  type PaymentStatus,
} from '../../generated/graphql';
import { request, subscribe, succeeded } from './api';
import { Scroll } from './Dialog';
import { ExportDialog } from './ExportDialog';
import { METHOD_LABEL, STATUS_LABEL, atLeast, isZero, money } from './format';
import { useQuery } from './hooks';

export type Row = AffiliatesTableQuery['affiliates']['edges'][number]['node'];
type Money = { amount: string; currency: string };
const PAGE = 100;
const ALL_PAGE = 500;
const SORTS: AffiliateSort[] = ['DUE_DESC', 'NAME', 'CREATED_AT'];
const TICKS = 'payouts.ticked';

/** The ticks of this view as they were when the table was left (Back, reload), among the rows shown now. */
function savedTicks(view: string, rows: Row[]): Set<string> {
  const saved = JSON.parse(sessionStorage.getItem(TICKS) ?? 'null') as { view: string; ids: string[] } | null;
  if (saved?.view !== view) return new Set();
  const shown = new Set(rows.map((r) => r.id));
  return new Set(saved.ids.filter((id) => shown.has(id)));
}

/** The view as the URL states it: ?status=DUE&approval=PENDING&q=ann&sort=NAME. */
function useView() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? '') as PaymentStatus | '';
  const approval = (params.get('approval') ?? '') as ApprovalStatus | '';
  const search = params.get('q') ?? '';
  const sortParam = params.get('sort') as AffiliateSort | null;
  const sort: AffiliateSort = sortParam && SORTS.includes(sortParam) ? sortParam : 'DUE_DESC';
  /** A filter or sort is a step Back can undo; typing a search replaces the current entry. */
  const set = (name: string, value: string, replace = false) =>
    setParams(
      (old) => {
        const next = new URLSearchParams(old);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace },
    );
  return { status, approval, search, sort, set };
}

/** Exactly: is this due amount below its currency's minimum payout? */
function belowMinimum(due: Money, minimums: readonly Money[]): Money | null {
  const minimum = minimums.find((m) => m.currency === due.currency);
  return minimum && !isZero(due) && !atLeast(due, minimum) ? minimum : null;
}

export function AffiliatesTable() {
  const { status, approval, search, sort, set } = useView();
  const [typed, setTyped] = useState(search);
  useEffect(() => setTyped(search), [search]);
  const filter: AffiliateFilter = useMemo(
    () => ({ approvalStatus: approval ? [approval] : null, paymentStatus: status ? [status] : null, search: search.trim() || null }),
    [approval, status, search],
  );
  const [rows, setRows] = useState<Row[]>([]);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const totals = useQuery(AffiliateTotalsDocument, { filter });
  const minimums = totals.data?.programSettings.minimumPayout ?? [];

  const page = useCallback(
    async (after: string | null, first = PAGE) => {
      const data = await request(AffiliatesTableDocument, { filter, sort, first, after });
      setTotal(data.affiliates.totalCount);
      return {
        rows: data.affiliates.edges.map((e) => e.node),
        next: data.affiliates.pageInfo.hasNextPage ? (data.affiliates.pageInfo.endCursor ?? null) : null,
      };
    },
    [filter, sort],
  );
  const view = JSON.stringify([filter, sort]);
  const restored = useRef(false); // ticks are saved only once this view's saved ones were read back
  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const got = await page(after);
        setRows((old) => (after ? [...old, ...got.rows] : got.rows));
        if (!after) {
          setTicked(savedTicks(view, got.rows));
          restored.current = true;
        }
        setNext(got.next);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setLoading(false);
      }
    },
    [page, view],
  );
  useEffect(() => {
    restored.current = false;
    setTicked(new Set());
    setAllMatching(false);
    void load(null);
  }, [load]);
  useEffect(() => {
    if (restored.current) sessionStorage.setItem(TICKS, JSON.stringify({ view, ids: [...ticked] }));
  }, [view, ticked]);

  // Live: the named affiliate's row is read again and replaced in place, and the footer refreshed.
  const reloadTotals = totals.reload;
  useEffect(
    () =>
      subscribe(PayoutDueToastDocument, {}, (event) => {
        const id = event.payoutBecameDue.affiliate.id;
        void request(AffiliatesTableDocument, { filter: { ids: [id] }, first: 1 }).then((data) => {
          const fresh = data.affiliates.edges[0]?.node;
          if (fresh) setRows((old) => old.map((r) => (r.id === id ? fresh : r)));
        });
        void reloadTotals();
      }),
    [reloadTotals],
  );

  /** Every affiliate of the filter, loaded page after page, all ticked. */
  const selectAll = async () => {
    setLoading(true);
    try {
      let all = [...rows];
      for (let cursor = next; cursor; ) {
        const got = await page(cursor, ALL_PAGE);
        all = [...all, ...got.rows];
        cursor = got.next;
      }
      setRows(all);
      setNext(null);
      setTicked(new Set(all.map((r) => r.id)));
      setAllMatching(true);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };

  const decide = async (decision: ApprovalStatus) => {
    setLoading(true);
    try {
      const ids = [...ticked];
      for (const affiliateId of ids) {
        succeeded((await request(SetApprovalStatusDocument, { affiliateId, status: decision })).setApprovalStatus, 'SetApprovalStatusSuccess');
      }
      setNotice(`${ids.length} affiliate(s) ${decision === 'APPROVED' ? 'approved' : 'declined'}.`);
      setTicked(new Set());
      setAllMatching(false);
      await Promise.all([load(null), totals.reload()]);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };

  const allTicked = rows.length > 0 && rows.every((r) => ticked.has(r.id));
  const toggle = (id: string) => {
    setAllMatching(false);
    setTicked((old) => {
      const s = new Set(old);
      if (s.has(id)) s.delete(id);
      else s.add(id);
      return s;
    });
  };

  return (
    <section data-loading={loading}>
      <h1>Affiliates</h1>
      <div className="filters">
        <label>
          Payment status
          <select name="paymentStatus" value={status} onChange={(e) => set('status', e.target.value)}>
            <option value="">All</option>
            <option value="DUE">Due</option>
            <option value="DUE_INCOMPLETE">Due but incomplete</option>
            <option value="NOTHING_DUE">Nothing due</option>
          </select>
        </label>
        <label>
          Approval
          <select name="approvalStatus" value={approval} onChange={(e) => set('approval', e.target.value)}>
            <option value="">All</option>
            <option value="APPROVED">Approved</option>
            <option value="PENDING">Pending</option>
            <option value="DECLINED">Declined</option>
          </select>
        </label>
        <label>
          Search
          <input
            name="search"
            type="search"
            value={typed}
            onChange={(e) => {
              setTyped(e.target.value);
              set('q', e.target.value, true);
            }}
            placeholder="name or email"
          />
        </label>
        <label>
          Sort
          <select name="sort" value={sort} onChange={(e) => set('sort', e.target.value)}>
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
        {total > 0 && !allMatching && (
          <button type="button" className="secondary" disabled={loading} onClick={() => void selectAll()}>
            Select all {total} matching
          </button>
        )}
        {allMatching && <span role="status">All {total} matching affiliates are selected.</span>}
        <button type="button" className="secondary" disabled={ticked.size === 0 || loading} onClick={() => void decide('APPROVED')}>
          Approve
        </button>
        <button type="button" className="secondary" disabled={ticked.size === 0 || loading} onClick={() => void decide('DECLINED')}>
          Decline
        </button>
        <button type="button" disabled={ticked.size === 0} onClick={() => setExporting(true)}>
          Export payment details
        </button>
      </div>
      {notice && <p className="ok" role="status">{notice}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <Scroll label="Affiliates">
        <table className="grid">
          <thead>
            <tr>
              <th>
                <input
                  type="checkbox"
                  aria-label="Tick all shown"
                  checked={allTicked}
                  onChange={() => {
                    setAllMatching(false);
                    setTicked(allTicked ? new Set() : new Set(rows.map((r) => r.id)));
                  }}
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
              <tr key={r.id} data-affiliate={r.id} className={ticked.has(r.id) ? 'ticked' : ''}>
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
                <td className="num" data-column="due">
                  {r.balances.some((b) => !isZero(b.due))
                    ? r.balances.filter((b) => !isZero(b.due)).map((b) => <DueAmount key={b.currency} due={b.due} minimums={minimums} />)
                    : '—'}
                </td>
                <MoneyCell list={r.balances.map((b) => b.reserve)} />
                <MoneyCell list={r.balances.map((b) => b.paid)} />
                <MoneyCell list={r.balances.map((b) => b.owed)} />
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-testid="totals">
              <th scope="row" colSpan={5}>
                Total due, all {total} matching
              </th>
              <td className="num" colSpan={4}>
                {(totals.data?.affiliateTotals ?? []).filter((t) => !isZero(t.due)).map((t) => (
                  <div key={t.currency} data-currency={t.currency}>
                    <strong>{money(t.due)}</strong>
                    {!isZero(t.dueBelowMinimum) && (
                      <span className="below">
                        {' '}incl. {money(t.dueBelowMinimum)} below the minimum ({t.affiliatesBelowMinimum} affiliate(s)): not exported yet
                      </span>
                    )}
                  </div>
                ))}
              </td>
            </tr>
          </tfoot>
        </table>
      </Scroll>
      {!loading && rows.length === 0 && <p className="muted">No affiliate matches.</p>}
      {next && (
        <button type="button" disabled={loading} onClick={() => void load(next)}>
          Load more
        </button>
      )}
      {exporting && (
        <ExportDialog
          affiliates={rows.filter((r) => ticked.has(r.id))}
          filter={allMatching ? filter : null}
          onClose={(changed) => {
            setExporting(false);
            if (changed) {
              setTicked(new Set());
              setAllMatching(false);
              void load(null);
              void totals.reload();
            }
          }}
        />
      )}
    </section>
  );
}

/** A due amount; below its currency's minimum payout it carries a marker that says so in words. */
function DueAmount({ due, minimums }: { due: Money; minimums: readonly Money[] }) {
  const minimum = belowMinimum(due, minimums);
  return (
    <div className={minimum ? 'below-minimum' : undefined}>
      {money(due)}
      {minimum && <span className="below"> ▲ below the {money(minimum)} minimum</span>}
    </div>
  );
}

/** One line per currency, zero amounts left out. */
function MoneyCell({ list }: { list: { amount: string; currency: string }[] }) {
  const shown = list.filter((m) => !isZero(m));
  return <td className="num">{shown.length ? shown.map((m) => <div key={m.currency}>{money(m)}</div>) : '—'}</td>;
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

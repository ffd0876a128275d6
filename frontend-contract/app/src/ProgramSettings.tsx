// The program's rules at a glance: minimums, default milestones, products and their commission.
import { useEffect, useState } from 'react';
import { ProgramSettingsDocument, type ProgramSettingsQuery } from '../../generated/graphql';
import { request } from './api';
import { money, moneyList } from './format';

type Milestone = { percent: string; delayDays: number };
const milestones = (list: readonly Milestone[]) => list.map((m) => `${m.percent}% after ${m.delayDays} days`).join(', ');

export function ProgramSettings() {
  const [data, setData] = useState<ProgramSettingsQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    request(ProgramSettingsDocument, {}).then(setData, (e: Error) => setError(e.message));
  }, []);
  if (!data) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  const s = data.programSettings;
  return (
    <section>
      <h1>Program settings</h1>
      <dl className="settings">
        <dt>Minimum sales before a payout</dt>
        <dd>{s.minimumSales}</dd>
        <dt>Minimum payout</dt>
        <dd>{moneyList(s.minimumPayout)}</dd>
        <dt>Default payout milestones</dt>
        <dd>{milestones(s.defaultMilestones)}</dd>
      </dl>
      <h2>Products ({data.products.totalCount})</h2>
      <table className="grid compact">
        <thead>
          <tr><th>Product</th><th>Price</th><th>Commission</th><th>Milestones</th></tr>
        </thead>
        <tbody>
          {data.products.edges.map(({ node: p }) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td className="num">{money(p.price)}</td>
              <td className="num">{p.commissionFlat ? money(p.commissionFlat) : `${p.commissionPercent}%`}</td>
              <td>{milestones(p.milestones)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

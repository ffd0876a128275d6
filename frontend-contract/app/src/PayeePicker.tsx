// Picks an affiliate by name or email (a recruiter, a JV partner): a search field and the matches as a select.
import { useEffect, useId, useState } from 'react';
import { FindPayeeDocument, type FindPayeeQuery } from '../../generated/graphql';
import { request } from './api';

type Payee = FindPayeeQuery['affiliates']['edges'][number]['node'];

export function PayeePicker({ label, exclude, onPick }: { label: string; exclude?: string; onPick: (payee: Payee | null) => void }) {
  const [search, setSearch] = useState('');
  const [matches, setMatches] = useState<Payee[]>([]);
  const [chosen, setChosen] = useState('');
  const selectId = useId();
  useEffect(() => {
    if (!search.trim()) return setMatches([]);
    let current = true;
    const timer = setTimeout(() => {
      void request(FindPayeeDocument, { search: search.trim() }).then((d) => {
        if (!current) return;
        const list = d.affiliates.edges.map((e) => e.node).filter((p) => p.id !== exclude);
        setMatches(list);
        setChosen(list[0]?.id ?? '');
        onPick(list[0] ?? null);
      }, () => undefined);
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // onPick is the caller's setter; the search alone decides what is read.
  }, [search, exclude]);
  return (
    <>
      <label className="field">
        Find {label}
        <input type="search" value={search} placeholder="name or email" onChange={(e) => setSearch(e.target.value)} />
      </label>
      {/* Labelled by id, not by nesting: the label's text stays the name alone, without the options. */}
      <span className="field">
        <label htmlFor={selectId}>{label[0].toUpperCase() + label.slice(1)}</label>
        <select id={selectId} value={chosen} onChange={(e) => {
          setChosen(e.target.value);
          onPick(matches.find((m) => m.id === e.target.value) ?? null);
        }}>
          {matches.length === 0 && <option value="">{search.trim() ? 'no match' : 'search first'}</option>}
          {matches.map((m) => <option key={m.id} value={m.id}>{m.name} ({m.email})</option>)}
        </select>
      </span>
    </>
  );
}

// The reference merchant app: token login (or a self-service login link, /app/#token=...), then the
// merchant's pages (one route each, state in the URL) or the affiliate's self-service page.
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { HashRouter, NavLink, Route, Routes, useParams } from 'react-router';
import { AffiliateSelfServiceDocument } from '../../generated/graphql';
import { AffiliateDetail } from './AffiliateDetail';
import { AffiliatesTable } from './AffiliatesTable';
import { ApiTokens } from './ApiTokens';
import { closeSubscriptions, request, session, tokenFromLink } from './api';
import { Dashboard } from './Dashboard';
import { Login } from './Login';
import { PayRuns } from './PayRuns';
import { Products } from './Products';
import { ProgramSettings } from './ProgramSettings';
import { Sales } from './Sales';
import { Tax } from './Tax';
import { SelfService } from './SelfService';
import { Toasts } from './Toasts';
import { Webhooks } from './Webhooks';
import './style.css';

type Role = 'merchant' | 'affiliate';

/** The merchant's pages: [path, navigation name, page]. A later page adds one line here. */
const PAGES: [string, string, React.ReactNode][] = [
  ['/', 'Dashboard', <Dashboard />],
  ['/affiliates', 'Affiliates', <AffiliatesTable />],
  ['/sales', 'Sales', <Sales />],
  ['/products', 'Products', <Products />],
  ['/pay-runs', 'Pay runs', <PayRuns />],
  ['/settings', 'Program settings', <ProgramSettings />],
  ['/tax', 'Tax', <Tax />],
  ['/tokens', 'API tokens', <ApiTokens />],
  ['/webhooks', 'Webhooks', <Webhooks />],
];

/** `me` answers for an AFFILIATE token only; any other valid token is the merchant's. */
async function roleOf(): Promise<Role> {
  const data = await request(AffiliateSelfServiceDocument, {});
  return data.me ? 'affiliate' : 'merchant';
}

function App() {
  const [role, setRole] = useState<Role | null>(null);
  const [checking, setChecking] = useState(Boolean(session.token));
  const [error, setError] = useState<string | null>(null);

  const logIn = async (token: string) => {
    session.token = token;
    setChecking(true);
    try {
      setRole(await roleOf());
      setError(null);
    } catch (e) {
      session.token = null;
      setError((e as Error).message);
    } finally {
      setChecking(false);
    }
  };
  const logOut = () => {
    session.token = null;
    closeSubscriptions();
    setRole(null);
  };
  useEffect(() => {
    if (session.token) void logIn(session.token);
  }, []);

  if (checking) return <p className="page">Checking the token…</p>;
  if (!role) return <Login onLogin={logIn} error={error} />;
  if (role === 'affiliate') {
    return (
      <Shell onLogOut={logOut} nav={null}>
        <SelfService />
      </Shell>
    );
  }
  return (
    <Shell
      onLogOut={logOut}
      nav={
        <>
          {PAGES.map(([path, name]) => (
            <NavLink key={path} to={path} end>
              {name}
            </NavLink>
          ))}
          <a href="/graphql">GraphiQL</a>
        </>
      }
    >
      <Toasts />
      <Routes>
        {PAGES.map(([path, , page]) => (
          <Route key={path} path={path} element={page} />
        ))}
        <Route path="/affiliates/:id" element={<AffiliatePage />} />
        <Route path="*" element={<p>No such page. <NavLink to="/">Dashboard</NavLink></p>} />
      </Routes>
    </Shell>
  );
}

function AffiliatePage() {
  const { id = '' } = useParams();
  return <AffiliateDetail key={id} id={id} />;
}

function Shell({ nav, onLogOut, children }: { nav: React.ReactNode; onLogOut: () => void; children: React.ReactNode }) {
  return (
    <>
      <header className="bar">
        <strong>Payout desk</strong>
        {nav && <nav aria-label="Pages">{nav}</nav>}
        <button type="button" className="link" onClick={onLogOut}>Log out</button>
      </header>
      <main className="page">{children}</main>
    </>
  );
}

tokenFromLink();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <HashRouter>
      <App />
    </HashRouter>
  </StrictMode>,
);

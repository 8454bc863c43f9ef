// Layout (banner, main navigation, main landmark, skip link) and the client routes. The server
// answers index.html on exactly these paths (src/api/routes/console-static.ts CLIENT_ROUTES).
import { AppShell, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { NotFound } from './components/Problem';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import { Clusters } from './pages/Clusters';
import { Activity } from './pages/Activity';
import { Rollouts } from './pages/Rollouts';
import { RolloutPage } from './pages/RolloutPage';
import { Tenants } from './pages/Tenants';
import { TenantPage } from './pages/TenantPage';
import { EnvironmentPage } from './pages/EnvironmentPage';
import { SessionProvider, isAdmin, useSession } from './session';
import { signOut } from './token';

function Nav() {
  const s = useSession();
  const { pathname } = useLocation();
  const links = isAdmin(s)
    ? [['/', 'Overview'], ['/tenants', 'Tenants'], ['/rollouts', 'Rollouts'], ['/clusters', 'Clusters'], ['/activity', 'Activity']]
    : s.scope?.kind === 'tenant'
      ? [['/', 'Overview'], [`/tenants/${s.scope.tenant}`, 'My environments'], ['/activity', 'Activity']]
      : [];
  return (
    <nav aria-label="Main">
      {links.map(([to, label]) => (
        <NavLink key={to} component={Link} to={to!} label={label} active={to === '/' ? pathname === '/' : pathname.startsWith(to!)} aria-current={pathname === to ? 'page' : undefined} />
      ))}
    </nav>
  );
}

function Shell() {
  const s = useSession();
  if (!s.token) return <Login />;
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: 'sm' }} padding="md">
      <a className="skip-link" href="#main">Skip to content</a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={2} size="h4"><Link to="/" style={{ color: 'inherit', textDecoration: 'none' }}>Fleetplane</Link></Title>
          <Group gap="sm">
            <Text size="sm" data-testid="scope">{s.scope?.kind === 'tenant' ? `tenant ${s.scope.tenant}` : s.scope ? 'whole fleet (admin)' : ''}</Text>
            <Button variant="default" size="xs" onClick={signOut}>Sign out</Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs"><Nav /></AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Overview />} />
          <Route path="/login" element={<Navigate to="/" replace />} />
          <Route path="/tenants" element={<Tenants />} />
          <Route path="/tenants/:tenant" element={<TenantPage />} />
          <Route path="/tenants/:tenant/:env" element={<EnvironmentPage />} />
          <Route path="/rollouts" element={<Rollouts />} />
          <Route path="/rollouts/:id" element={<RolloutPage />} />
          <Route path="/clusters" element={<Clusters />} />
          <Route path="/activity" element={<Activity />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </AppShell.Main>
    </AppShell>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Shell />
    </SessionProvider>
  );
}

// Who is signed in, as the API sees it: GET /v1/fleet/summary answers the caller's scope (the whole
// fleet for an admin token, one tenant for a tenant token). The console shows nothing beyond it.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api';
import { getToken, onTokenChange } from './token';
import type { FleetSummary } from './types';

export interface Session {
  token: string | null;
  scope: { kind: 'fleet' } | { kind: 'tenant'; tenant: string } | null;
  loading: boolean;
}

const Ctx = createContext<Session>({ token: null, scope: null, loading: false });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setTok] = useState(getToken());
  const client = useQueryClient();
  useEffect(() => onTokenChange(() => {
    setTok(getToken());
    client.clear();
  }), [client]);
  const q = useQuery({ queryKey: ['summary'], queryFn: () => api<FleetSummary>('/v1/fleet/summary'), enabled: !!token });
  const scope = q.data ? (q.data.scope.kind === 'tenant' ? { kind: 'tenant' as const, tenant: q.data.scope.tenant! } : { kind: 'fleet' as const }) : null;
  return <Ctx.Provider value={{ token, scope, loading: !!token && q.isPending }}>{children}</Ctx.Provider>;
}

export const useSession = () => useContext(Ctx);
export const isAdmin = (s: Session) => s.scope?.kind === 'fleet';

// Live views: open the change stream and re-read the named queries (coalesced) when something changes.
import { useEffect, useState } from 'react';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { openStream, type ChangeEvent } from '../events';

export function useLive(query: Record<string, string | undefined>, keys: QueryKey[], onEvent?: (e: ChangeEvent) => boolean | void): string {
  const client = useQueryClient();
  const [status, setStatus] = useState('connecting');
  const q = JSON.stringify(query);
  const k = JSON.stringify(keys);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        for (const key of JSON.parse(k) as QueryKey[]) void client.invalidateQueries({ queryKey: key });
      }, 300);
    };
    const stop = openStream({
      query: JSON.parse(q) as Record<string, string>,
      onEvent: (e) => {
        if (onEvent?.(e) === true) return; // handled in place
        refresh();
      },
      onReset: refresh,
      onStatus: setStatus,
    });
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }, [q, k, client]);
  return status;
}

// The self-managed channel's repository on the store port (Store.selfManaged; SQL in
// src/adapters/store/self-managed.ts, migration 310): licenses and install reports.
import type { Page, PageRequest } from './store.ts';

/** A signed license as stored (the document; the signature is made again on download, it is deterministic). */
export interface StoredLicense {
  tenant: string;
  document: Record<string, unknown>;
  expiresAt: string;
  updatedAt: string;
}

export interface StoredInstallReport {
  id: string;
  tenant: string;
  environment: string;
  revision: string;
  version: string;
  result: string;
  /** online: uploaded by the install with the bundle's report token; import: uploaded from a file later. */
  via: 'online' | 'import';
  reportedAt: string;
  receivedAt: string;
  report: Record<string, unknown>;
}

export interface SelfManagedRepo {
  putLicense(tenant: string, document: Record<string, unknown>, expiresAt: string): Promise<StoredLicense>;
  getLicense(tenant: string): Promise<StoredLicense | null>;
  /** created=false when this tenant already has a report with that id (nothing changes). */
  recordReport(r: Omit<StoredInstallReport, 'receivedAt'>): Promise<{ report: StoredInstallReport; created: boolean }>;
  /** Newest first. */
  reports(tenant: string, page: PageRequest & { environment?: string }): Promise<Page<StoredInstallReport>>;
  /** Per environment of the tenants given: the newest report whose result is installed. */
  installed(tenants: string[]): Promise<StoredInstallReport[]>;
}

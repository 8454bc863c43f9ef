export { GitRepos, type GitReposOptions, type ArchiveResult } from './repos.ts';
export { Workspace } from './workspace.ts';
export { redactUrl, type RemoteRepoConfig, type RemoteCredentials } from './credentials.ts';

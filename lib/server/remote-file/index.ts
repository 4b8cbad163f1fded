import "server-only";

/**
 * Downloads a user-supplied URL (the API's `target_file_path`) to local disk, treating it as hostile: the URL policy
 * (url-policy.ts) says which URLs may be asked for, the address policy (address-policy.ts) which hosts may be
 * connected to, and the download (download.ts) vets every redirect hop with both, pins the vetted DNS answer and
 * bounds the body and the time.
 */
export { isBlockedAddress } from "./address-policy";
export { type DownloadOptions, type DownloadResult, downloadRemoteFile } from "./download";
export { RemoteFileError, type RemoteFileErrorCode } from "./remote-file-error";

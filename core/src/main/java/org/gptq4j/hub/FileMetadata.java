package org.gptq4j.hub;

import java.net.URI;

/**
 * What a {@code HEAD} of {@code resolve/{revision}/{file}} tells about a file, as huggingface_hub reads it.
 *
 * @param commit   {@code X-Repo-Commit}
 * @param etag     {@code X-Linked-Etag} (LFS: SHA-256), else {@code ETag} (git SHA-1)
 * @param size     {@code X-Linked-Size}, else {@code Content-Length}; -1 when neither was sent
 * @param location where to GET the content: the CDN for LFS files (the redirect's target), else the resolve URL
 */
record FileMetadata(String commit, Etag etag, long size, URI location) {}

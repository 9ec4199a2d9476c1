import Crypto

#if arch(x86_64)
    import CTallyIPSecMB
#endif

/// One message to hash, and where its 32-byte SHA-256 digest goes.
struct SHA256Job {
    let message: UnsafeRawBufferPointer
    let digest: UnsafeMutableRawPointer
}

/// SHA-256 of many independent messages at once.
///
/// Intel's multi-buffer crypto library (Debian `libipsec-mb`) hashes 8 or 16 messages side by
/// side in SIMD lanes (AVX2, AVX-512): on this project's machines (no SHA extensions) it hashed
/// 3.0–4.8 million 65–200-byte messages a second on one core, against 0.56–0.80 million one at a
/// time with OpenSSL. Verification has millions of independent leaves and nodes to hash, so it
/// hashes them here in batches.
///
/// Where the library is not available (another architecture, a failed set-up) or refuses a
/// message (it takes at most ``multiBufferLimit`` bytes), swift-crypto hashes the message alone:
/// every job gets its digest either way.
///
/// Not thread-safe: the manager holds the jobs in flight. Use one per thread.
final class MultiBufferSHA256 {
    /// The longest message the library hashes (1.3 refuses 65,535 bytes and more).
    static let multiBufferLimit = 65_534

    #if arch(x86_64)
        private let manager: UnsafeMutablePointer<IMB_MGR>?
    #endif

    /// A hasher; with `multiBuffer` false (for tests) it hashes every message alone.
    init(multiBuffer: Bool = true) {
        #if arch(x86_64)
            var manager = multiBuffer ? alloc_mb_mgr(0) : nil
            if let allocated = manager {
                var architecture = IMB_ARCH_NONE
                init_mb_mgr_auto(allocated, &architecture)
                if imb_get_errno(allocated) != 0 {
                    free_mb_mgr(allocated)
                    manager = nil
                }
            }
            self.manager = manager
        #endif
    }

    deinit {
        #if arch(x86_64)
            if let manager { free_mb_mgr(manager) }
        #endif
    }

    /// Whether messages are hashed in SIMD lanes (else one at a time).
    var isMultiBuffer: Bool {
        #if arch(x86_64)
            manager != nil
        #else
            false
        #endif
    }

    /// Writes every job's digest. The messages and digests must not overlap.
    func hash(_ jobs: [SHA256Job]) {
        #if arch(x86_64)
            guard let manager else {
                jobs.forEach(Self.hashAlone)
                return
            }
            // A job the library did not complete is hashed alone: its digest is then right all the same.
            func collect(_ finished: UnsafeMutablePointer<IMB_JOB>) {
                if tally_imb_job_completed(finished) == 0 { Self.hashAlone(jobs[Int(tally_imb_job_tag(finished))]) }
            }
            for (index, job) in jobs.enumerated() {
                guard job.message.count <= Self.multiBufferLimit, let slot = tally_imb_next_job(manager) else {
                    Self.hashAlone(job)
                    continue
                }
                // An empty message reads nothing; the library wants a pointer all the same.
                let start = job.message.baseAddress ?? UnsafeRawPointer(job.digest)
                tally_imb_fill_sha256_job(
                    slot, start, UInt64(job.message.count), job.digest.assumingMemoryBound(to: UInt8.self), UInt(index))
                var finished = tally_imb_submit_job(manager)
                while let job = finished {
                    collect(job)
                    finished = tally_imb_completed_job(manager)
                }
            }
            while let finished = tally_imb_flush_job(manager) { collect(finished) }
        #else
            jobs.forEach(Self.hashAlone)
        #endif
    }

    private static func hashAlone(_ job: SHA256Job) {
        var hasher = SHA256()
        hasher.update(bufferPointer: job.message)
        hasher.finalize().withUnsafeBytes { job.digest.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}

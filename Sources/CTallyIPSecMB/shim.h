// Intel's multi-buffer crypto library (Debian `libipsec-mb-dev`, which ships no pkg-config file).
// Its job API is a set of function-like macros over the manager's function pointers, which Swift
// cannot call: these inline functions are those macros, and the one job Tally submits.
#include <stdint.h>
#include <string.h>
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

static inline IMB_JOB *tally_imb_next_job(IMB_MGR *manager) { return IMB_GET_NEXT_JOB(manager); }
static inline IMB_JOB *tally_imb_submit_job(IMB_MGR *manager) { return IMB_SUBMIT_JOB(manager); }
static inline IMB_JOB *tally_imb_completed_job(IMB_MGR *manager) { return IMB_GET_COMPLETED_JOB(manager); }
static inline IMB_JOB *tally_imb_flush_job(IMB_MGR *manager) { return IMB_FLUSH_JOB(manager); }

/// Fills `job` as plain SHA-256 of the `length` bytes at `message`, written to `digest` (32 bytes),
/// tagged with `tag` (the job's `user_data`).
static inline void tally_imb_fill_sha256_job(
    IMB_JOB *job, const void *message, uint64_t length, uint8_t *digest, uintptr_t tag) {
    memset(job, 0, sizeof *job);
    job->cipher_mode = IMB_CIPHER_NULL;
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_HASH_CIPHER;
    job->hash_alg = IMB_AUTH_SHA_256;
    job->src = message;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = length;
    job->auth_tag_output = digest;
    job->auth_tag_output_len_in_bytes = 32;
    job->user_data = (void *)tag;
}

/// Whether `job` finished (both its null cipher and its hash).
static inline int tally_imb_job_completed(const IMB_JOB *job) { return job->status == IMB_STATUS_COMPLETED; }

/// The tag `tally_imb_fill_sha256_job` gave `job`.
static inline uintptr_t tally_imb_job_tag(const IMB_JOB *job) { return (uintptr_t)job->user_data; }

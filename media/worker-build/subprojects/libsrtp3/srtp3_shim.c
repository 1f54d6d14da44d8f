/*
 * libsrtp3 calls (as declared in include/srtp.h) implemented on libsrtp2 2.5.
 *
 * This file includes only libsrtp2's header: the two APIs use the same type
 * names, so the voxreply_srtp3_* definitions below spell the libsrtp3 types
 * through their layout-identical libsrtp2 counterparts (enums with the same
 * values, srtp_ssrc_t, srtp_t and srtp_event_data_t with the same members).
 *
 * The API differences bridged here:
 *  - libsrtp3's policy is an opaque object built with setters; libsrtp2's is a
 *    plain struct pointing at a concatenated key||salt buffer.
 *  - libsrtp3 protects from an input buffer into a separate output buffer with
 *    size_t lengths (and reports a too-small output); libsrtp2 works in place
 *    with int lengths and assumes SRTP_MAX_TRAILER_LEN bytes of room.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

/* libsrtp3 codes that libsrtp2 lacks (values from libsrtp3's srtp.h). */
#define SRTP3_ERR_BUFFER_SMALL ((srtp_err_status_t)28)

/* libsrtp2's SRTP_MAX_KEY_LEN: master key plus salt, longest profile. */
#define SHIM_MAX_KEY_LEN 64

struct voxreply_srtp3_policy {
  srtp_policy_t inner;
  srtp_profile_t profile;
  unsigned char key[SHIM_MAX_KEY_LEN];
};

typedef struct voxreply_srtp3_policy *shim_policy_t;

srtp_err_status_t voxreply_srtp3_init(void) { return srtp_init(); }

srtp_err_status_t voxreply_srtp3_shutdown(void) { return srtp_shutdown(); }

const char *voxreply_srtp3_get_version_string(void) { return srtp_get_version_string(); }

srtp_err_status_t voxreply_srtp3_install_event_handler(srtp_event_handler_func_t func) {
  /* srtp_event_data_t has the same members in both APIs. */
  return srtp_install_event_handler(func);
}

srtp_err_status_t voxreply_srtp3_policy_create(shim_policy_t *policy) {
  if (policy == NULL) return srtp_err_status_bad_param;
  shim_policy_t created = calloc(1, sizeof(*created));
  if (created == NULL) return srtp_err_status_alloc_fail;
  created->profile = srtp_profile_reserved;
  created->inner.key = created->key;
  created->inner.next = NULL;
  *policy = created;
  return srtp_err_status_ok;
}

void voxreply_srtp3_policy_destroy(shim_policy_t policy) {
  if (policy == NULL) return;
  /* Key material must not linger in freed memory. */
  memset(policy->key, 0, sizeof(policy->key));
  free(policy);
}

srtp_err_status_t voxreply_srtp3_policy_set_ssrc(shim_policy_t policy, srtp_ssrc_t ssrc) {
  if (policy == NULL) return srtp_err_status_bad_param;
  policy->inner.ssrc = ssrc;
  return srtp_err_status_ok;
}

srtp_err_status_t voxreply_srtp3_policy_set_profile(shim_policy_t policy, srtp_profile_t profile) {
  if (policy == NULL) return srtp_err_status_bad_param;
  srtp_err_status_t status =
      srtp_crypto_policy_set_from_profile_for_rtp(&policy->inner.rtp, profile);
  if (status != srtp_err_status_ok) return status;
  status = srtp_crypto_policy_set_from_profile_for_rtcp(&policy->inner.rtcp, profile);
  if (status != srtp_err_status_ok) return status;
  policy->profile = profile;
  return srtp_err_status_ok;
}

size_t voxreply_srtp3_profile_get_master_key_length(srtp_profile_t profile) {
  return srtp_profile_get_master_key_length(profile);
}

size_t voxreply_srtp3_profile_get_master_salt_length(srtp_profile_t profile) {
  return srtp_profile_get_master_salt_length(profile);
}

srtp_err_status_t voxreply_srtp3_policy_add_key(shim_policy_t policy, const uint8_t *key,
                                                size_t key_len, const uint8_t *salt,
                                                size_t salt_len, const uint8_t *mki,
                                                size_t mki_len) {
  if (policy == NULL || key == NULL || (salt == NULL && salt_len > 0)) {
    return srtp_err_status_bad_param;
  }
  /* The worker never uses MKI; libsrtp2's single-key policy cannot carry it. */
  if (mki != NULL || mki_len != 0) return srtp_err_status_bad_param;
  if (policy->profile == srtp_profile_reserved) return srtp_err_status_bad_param;
  if (key_len != srtp_profile_get_master_key_length(policy->profile) ||
      salt_len != srtp_profile_get_master_salt_length(policy->profile) ||
      key_len + salt_len > sizeof(policy->key)) {
    return srtp_err_status_bad_param;
  }
  memcpy(policy->key, key, key_len);
  if (salt_len > 0) memcpy(policy->key + key_len, salt, salt_len);
  return srtp_err_status_ok;
}

srtp_err_status_t voxreply_srtp3_policy_set_window_size(shim_policy_t policy, size_t window_size) {
  if (policy == NULL) return srtp_err_status_bad_param;
  policy->inner.window_size = (unsigned long)window_size;
  return srtp_err_status_ok;
}

srtp_err_status_t voxreply_srtp3_policy_set_allow_repeat_tx(shim_policy_t policy, bool allow) {
  if (policy == NULL) return srtp_err_status_bad_param;
  policy->inner.allow_repeat_tx = allow ? 1 : 0;
  return srtp_err_status_ok;
}

srtp_err_status_t voxreply_srtp3_create(srtp_t *session, const shim_policy_t policy) {
  if (session == NULL || policy == NULL) return srtp_err_status_bad_param;
  /* libsrtp2 copies what it needs from the policy into the session. */
  return srtp_create(session, &policy->inner);
}

srtp_err_status_t voxreply_srtp3_dealloc(srtp_t session) { return srtp_dealloc(session); }

srtp_err_status_t voxreply_srtp3_stream_remove(srtp_t session, uint32_t ssrc) {
  return srtp_remove_stream(session, ssrc);
}

typedef srtp_err_status_t (*in_place_op)(srtp_t, void *, int *);

/* Copies input to output (they may be the same buffer) and runs a libsrtp2
 * in-place operation there. `room` is how many bytes the output may grow. */
static srtp_err_status_t run_in_place(in_place_op op, srtp_t ctx, const uint8_t *in, size_t in_len,
                                      uint8_t *out, size_t *out_len, size_t room) {
  if (ctx == NULL || in == NULL || out == NULL || out_len == NULL) return srtp_err_status_bad_param;
  if (in_len > (size_t)INT_MAX - room) return srtp_err_status_bad_param;
  if (*out_len < in_len + room) return SRTP3_ERR_BUFFER_SMALL;
  if (out != in) memmove(out, in, in_len);
  int len = (int)in_len;
  srtp_err_status_t status = op(ctx, out, &len);
  if (status != srtp_err_status_ok) return status;
  *out_len = (size_t)len;
  return srtp_err_status_ok;
}

srtp_err_status_t voxreply_srtp3_protect(srtp_t ctx, const uint8_t *rtp, size_t rtp_len,
                                         uint8_t *srtp, size_t *srtp_len, size_t mki_index) {
  if (mki_index != 0) return srtp_err_status_bad_mki;
  return run_in_place(srtp_protect, ctx, rtp, rtp_len, srtp, srtp_len, SRTP_MAX_TRAILER_LEN);
}

srtp_err_status_t voxreply_srtp3_unprotect(srtp_t ctx, const uint8_t *srtp, size_t srtp_len,
                                           uint8_t *rtp, size_t *rtp_len) {
  return run_in_place(srtp_unprotect, ctx, srtp, srtp_len, rtp, rtp_len, 0);
}

srtp_err_status_t voxreply_srtp3_protect_rtcp(srtp_t ctx, const uint8_t *rtcp, size_t rtcp_len,
                                              uint8_t *srtcp, size_t *srtcp_len,
                                              size_t mki_index) {
  if (mki_index != 0) return srtp_err_status_bad_mki;
  /* SRTCP adds the 4-byte E-flag/index word in front of the tag. */
  return run_in_place(srtp_protect_rtcp, ctx, rtcp, rtcp_len, srtcp, srtcp_len,
                      SRTP_MAX_TRAILER_LEN + 4);
}

srtp_err_status_t voxreply_srtp3_unprotect_rtcp(srtp_t ctx, const uint8_t *srtcp,
                                                size_t srtcp_len, uint8_t *rtcp,
                                                size_t *rtcp_len) {
  return run_in_place(srtp_unprotect_rtcp, ctx, srtcp, srtcp_len, rtcp, rtcp_len, 0);
}

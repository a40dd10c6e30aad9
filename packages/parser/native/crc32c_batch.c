/*
 * CRC-32C of many mtrs of a redo log buffer in one call (see src/crc32c-batch.ts).
 * Called once per log batch instead of once per mtr: the per-call cost of a
 * native function (~0.4 us) is more than the CRC of an average mtr (~170 bytes).
 * Uses the SSE4.2 crc32 instruction where the CPU has it, a table otherwise.
 */
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

static uint32_t table[8][256];
static int have_sse42;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Once per process: every worker thread that loads the addon shares the table. */
static void init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    table[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; n++)
    for (int k = 1; k < 8; k++) table[k][n] = table[0][table[k - 1][n] & 0xff] ^ (table[k - 1][n] >> 8);
#if defined(__x86_64__)
  __builtin_cpu_init();
  have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

/* Raw CRC state in, raw state out (no initial or final inversion). */
static uint32_t crc_table(uint32_t c, const uint8_t *p, size_t n) {
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    w ^= c;
    c = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^ table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
        table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^ table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t c, const uint8_t *p, size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c64 = __builtin_ia32_crc32di(c64, w);
    p += 8;
    n -= 8;
  }
  c = (uint32_t)c64;
  while (n--) c = __builtin_ia32_crc32qi(c, *p++);
  return c;
}
#endif

static uint32_t crc32c(const uint8_t *p, size_t n) {
#if defined(__x86_64__)
  if (have_sse42) return ~crc_hw(~0u, p, n);
#endif
  return ~crc_table(~0u, p, n);
}

/*
 * verify(bytes, starts, ends, from, to): for mtr i in [from, to), the CRC-32C
 * of bytes[starts[i], ends[i] - 5) must equal the big-endian u32 at
 * ends[i] - 4. Returns the index of the first mtr that fails (or whose range
 * is not inside `bytes`), or `to` when all match.
 */
static napi_value verify(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) {
    napi_throw_type_error(env, NULL, "verify(bytes, starts, ends, from, to)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t len[3];
  void *data[3];
  for (int k = 0; k < 3; k++) {
    if (napi_get_typedarray_info(env, argv[k], &type, &len[k], &data[k], NULL, NULL) != napi_ok ||
        type != (k == 0 ? napi_uint8_array : napi_uint32_array)) {
      napi_throw_type_error(env, NULL, k == 0 ? "bytes must be a Uint8Array" : "starts and ends must be Uint32Arrays");
      return NULL;
    }
  }
  uint32_t from, to;
  napi_get_value_uint32(env, argv[3], &from);
  napi_get_value_uint32(env, argv[4], &to);
  if (to > len[1] || to > len[2]) to = (uint32_t)(len[1] < len[2] ? len[1] : len[2]);
  const uint8_t *bytes = data[0];
  const uint32_t *starts = data[1], *ends = data[2];
  uint32_t i = from;
  for (; i < to; i++) {
    uint32_t s = starts[i], e = ends[i];
    if (e > len[0] || e < s + 6) break;
    const uint8_t *t = bytes + e - 4;
    uint32_t stored = ((uint32_t)t[0] << 24) | ((uint32_t)t[1] << 16) | ((uint32_t)t[2] << 8) | t[3];
    if (crc32c(bytes + s, e - 5 - s) != stored) break;
  }
  napi_value out;
  napi_create_uint32(env, i, &out);
  return out;
}

NAPI_MODULE_INIT() {
  pthread_once(&once, init);
  napi_value fn;
  napi_create_function(env, "verify", NAPI_AUTO_LENGTH, verify, NULL, &fn);
  napi_set_named_property(env, exports, "verify", fn);
  return exports;
}

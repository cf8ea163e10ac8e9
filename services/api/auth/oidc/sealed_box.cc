#include "services/api/auth/oidc/sealed_box.h"

#include <cstdint>
#include <cstdlib>
#include <memory>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace tokengate {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// Domain separation: the same secret could never key anything else by accident.
constexpr absl::string_view kKeyLabel = "tokengate session seal v1\n";

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(absl::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

absl::Status Refused() { return absl::InvalidArgumentError("sealed value does not open under this key"); }

}  // namespace

SealedBox::SealedBox(absl::string_view secret) {
  const std::string material = absl::StrCat(kKeyLabel, secret);
  SHA256(Bytes(material), material.size(), key_.data());
}

std::string SealedBox::Seal(absl::string_view plain, absl::string_view row) const {
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  // Only allocation failures get here: there is nothing sensible to store instead.
  if (RAND_bytes(bytes, kNonceBytes) != 1 || ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(row), static_cast<int>(row.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes + kNonceBytes, &length, Bytes(plain),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes + kNonceBytes + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, bytes + kNonceBytes + plain.size()) !=
          1) {
    TG_LOG(Error) << "AES-256-GCM failed: cannot seal session secrets";
    std::abort();
  }
  return out;
}

absl::StatusOr<std::string> SealedBox::Open(absl::string_view sealed, absl::string_view row) const {
  if (sealed.size() < kNonceBytes + kTagBytes) return Refused();
  const size_t plain_size = sealed.size() - kNonceBytes - kTagBytes;
  std::string plain(plain_size, '\0');
  std::string tag(sealed.substr(kNonceBytes + plain_size));
  CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int length = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), Bytes(sealed)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(row), static_cast<int>(row.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &length,
                        Bytes(sealed) + kNonceBytes, static_cast<int>(plain_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + length, &length) != 1) {
    return Refused();
  }
  return plain;
}

std::string PackFields(const std::vector<absl::string_view>& fields) {
  std::string out;
  for (absl::string_view field : fields) {
    const uint32_t size = static_cast<uint32_t>(field.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((size >> shift) & 0xff));
    out.append(field.data(), field.size());
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> UnpackFields(absl::string_view packed, size_t count) {
  std::vector<std::string> fields;
  while (!packed.empty()) {
    if (packed.size() < 4) return absl::InvalidArgumentError("packed fields are cut short");
    uint32_t size = 0;
    for (int i = 0; i < 4; ++i) size = (size << 8) | static_cast<unsigned char>(packed[i]);
    packed.remove_prefix(4);
    if (packed.size() < size) return absl::InvalidArgumentError("packed fields are cut short");
    fields.emplace_back(packed.substr(0, size));
    packed.remove_prefix(size);
  }
  if (fields.size() != count) return absl::InvalidArgumentError("packed fields: wrong count");
  return fields;
}

}  // namespace tokengate

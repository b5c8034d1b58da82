// Jinja2 lexing, after jinja2/lexer.py (Lexer.tokeniter): the same whitespace control
// (lstrip_blocks only when the tag starts its line; trim_blocks removes one "\n" after
// %} and #}; "-" strips all whitespace; "+" disables lstrip/trim).
#include "src/jinja/lexer.h"

#include <cctype>

#include "src/jinja/value.h"
#include "src/base/utf8.h"

namespace hearth::jinja {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string normalize_newlines(const std::string& src) {
  std::string s;
  s.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == '\r') {
      s.push_back('\n');
      if (i + 1 < src.size() && src[i + 1] == '\n') ++i;
    } else {
      s.push_back(src[i]);
    }
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();  // keep_trailing_newline=False
  return s;
}

int count_lines(const std::string& s, size_t from, size_t to) {
  int n = 0;
  for (size_t i = from; i < to && i < s.size(); ++i) n += s[i] == '\n';
  return n;
}

// Decodes a Python-style string literal body (escapes as in Python str literals).
std::string unescape(const std::string& s, size_t b, size_t e, int line) {
  std::string out;
  for (size_t i = b; i < e; ++i) {
    if (s[i] != '\\' || i + 1 >= e) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case '0': out.push_back('\0'); break;
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': case '\'': case '"': out.push_back(c); break;
      case '\n': break;
      case 'x': case 'u': case 'U': {
        const size_t n = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
        if (i + n >= e) throw Error("truncated \\" + std::string(1, c) + " escape in string", line);
        const char32_t cp = static_cast<char32_t>(std::stoul(s.substr(i + 1, n), nullptr, 16));
        utf8_append(out, cp);
        i += n;
        break;
      }
      default: out.push_back('\\'); out.push_back(c);
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(const std::string& src) : s_(normalize_newlines(src)) {}

  std::vector<Token> run() {
    size_t pos = 0;
    bool strip_next = false;    // previous tag ended with "-": drop leading whitespace
    bool line_starting = true;  // text begins at the start of a line
    while (pos < s_.size()) {
      size_t tag = find_tag(pos);
      std::string text = s_.substr(pos, tag - pos);
      const int text_line = line_;
      line_ += count_lines(s_, pos, tag);
      if (strip_next) {
        size_t k = 0;
        while (k < text.size() && is_space(text[k])) ++k;
        text.erase(0, k);
      }
      strip_next = false;
      if (tag >= s_.size()) {
        emit_text(text, text_line);
        break;
      }
      const char type = s_[tag + 1];  // '{', '%' or '#'
      const char sign = tag + 2 < s_.size() ? s_[tag + 2] : '\0';
      if (sign == '-') {
        size_t k = text.size();
        while (k > 0 && is_space(text[k - 1])) --k;
        text.resize(k);
      } else if (sign != '+' && type != '{') {
        // lstrip_blocks
        const size_t nl = text.rfind('\n');
        const size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if (l_pos > 0 || line_starting) {
          bool ws = l_pos < text.size();
          for (size_t k = l_pos; k < text.size(); ++k) ws = ws && is_space(text[k]);
          if (ws) text.resize(l_pos);
        }
      }
      emit_text(text, text_line);
      pos = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (type == '#') {
        pos = end_comment(pos, strip_next, line_starting);
      } else if (type == '%' && is_raw(pos)) {
        pos = raw_block(pos, strip_next, line_starting);
      } else {
        pos = lex_tag(pos, type == '%', strip_next, line_starting);
      }
    }
    out_.push_back({TokenKind::kEof, "", line_});
    return std::move(out_);
  }

 private:
  size_t find_tag(size_t pos) const {
    for (size_t p = s_.find('{', pos); p != std::string::npos; p = s_.find('{', p + 1)) {
      if (p + 1 < s_.size() && (s_[p + 1] == '{' || s_[p + 1] == '%' || s_[p + 1] == '#')) return p;
    }
    return s_.size();
  }

  void emit_text(const std::string& text, int line) {
    if (!text.empty()) out_.push_back({TokenKind::kText, text, line});
  }

  // After the closing delimiter at `end` (one past it): "-" strips, trim_blocks eats "\n".
  size_t after_close(size_t end, char sign, bool trim, bool& strip_next, bool& line_starting) {
    line_starting = false;
    if (sign == '-') {
      strip_next = true;
      size_t k = end;
      while (k < s_.size() && is_space(s_[k])) ++k;
      line_starting = k > end && s_[k - 1] == '\n';
      return end;  // whitespace dropped when the next text is read
    }
    if (trim && sign != '+' && end < s_.size() && s_[end] == '\n') {
      ++line_;
      line_starting = true;
      return end + 1;
    }
    return end;
  }

  size_t end_comment(size_t pos, bool& strip_next, bool& line_starting) {
    const size_t close = s_.find("#}", pos);
    if (close == std::string::npos) throw Error("unterminated comment {# ... #}", line_);
    line_ += count_lines(s_, pos, close);
    const char sign = close > pos ? s_[close - 1] : '\0';
    return after_close(close + 2, sign, true, strip_next, line_starting);
  }

  bool is_raw(size_t pos) const {
    size_t k = pos;
    while (k < s_.size() && is_space(s_[k])) ++k;
    return s_.compare(k, 3, "raw") == 0 && k + 3 < s_.size() && !std::isalnum(static_cast<unsigned char>(s_[k + 3]));
  }

  size_t raw_block(size_t pos, bool& strip_next, bool& line_starting) {
    size_t close = s_.find("%}", pos);
    if (close == std::string::npos) throw Error("unterminated {% raw %} tag", line_);
    size_t body = after_close(close + 2, s_[close - 1], true, strip_next, line_starting);
    for (size_t p = s_.find("{%", body); p != std::string::npos; p = s_.find("{%", p + 2)) {
      size_t k = p + 2;
      if (k < s_.size() && (s_[k] == '-' || s_[k] == '+')) ++k;
      while (k < s_.size() && is_space(s_[k])) ++k;
      if (s_.compare(k, 6, "endraw") != 0) continue;
      std::string text = s_.substr(body, p - body);
      if (strip_next) {
        size_t a = 0;
        while (a < text.size() && is_space(text[a])) ++a;
        text.erase(0, a);
        strip_next = false;
      }
      if (s_[p + 2] == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      }
      emit_text(text, line_);
      line_ += count_lines(s_, body, p);
      const size_t end = s_.find("%}", k);
      if (end == std::string::npos) throw Error("unterminated {% endraw %} tag", line_);
      return after_close(end + 2, s_[end - 1], true, strip_next, line_starting);
    }
    throw Error("{% raw %} without {% endraw %}", line_);
  }

  size_t lex_tag(size_t pos, bool block, bool& strip_next, bool& line_starting) {
    out_.push_back({block ? TokenKind::kBlockBegin : TokenKind::kVarBegin, "", line_});
    int depth = 0;
    size_t i = pos;
    while (true) {
      if (i >= s_.size()) throw Error(block ? "unterminated {% ... %} tag" : "unterminated {{ ... }} tag", line_);
      const char c = s_[i];
      if (is_space(c)) {
        if (c == '\n') ++line_;
        ++i;
        continue;
      }
      // Closing delimiter (only outside brackets).
      const char* close = block ? "%}" : "}}";
      if (depth == 0) {
        size_t k = i;
        char sign = '\0';
        if ((c == '-' || c == '+') && s_.compare(i + 1, 2, close) == 0) sign = c, k = i + 1;
        if (s_.compare(k, 2, close) == 0) {
          out_.push_back({block ? TokenKind::kBlockEnd : TokenKind::kVarEnd, "", line_});
          return after_close(k + 2, sign, block, strip_next, line_starting);
        }
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t k = i;
        while (k < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[k])) || s_[k] == '_')) ++k;
        out_.push_back({TokenKind::kName, s_.substr(i, k - i), line_});
        i = k;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t k = i;
        bool is_float = false;
        while (k < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[k])) || s_[k] == '_')) ++k;
        if (k + 1 < s_.size() && s_[k] == '.' && std::isdigit(static_cast<unsigned char>(s_[k + 1]))) {
          is_float = true;
          ++k;
          while (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) ++k;
        }
        if (k < s_.size() && (s_[k] == 'e' || s_[k] == 'E')) {
          size_t m = k + 1;
          if (m < s_.size() && (s_[m] == '+' || s_[m] == '-')) ++m;
          if (m < s_.size() && std::isdigit(static_cast<unsigned char>(s_[m]))) {
            is_float = true;
            k = m;
            while (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) ++k;
          }
        }
        std::string num;
        for (size_t m = i; m < k; ++m) if (s_[m] != '_') num.push_back(s_[m]);
        out_.push_back({is_float ? TokenKind::kFloat : TokenKind::kInt, num, line_});
        i = k;
      } else if (c == '\'' || c == '"') {
        size_t k = i + 1;
        while (k < s_.size() && s_[k] != c) k += s_[k] == '\\' ? 2 : 1;
        if (k >= s_.size()) throw Error("unterminated string literal", line_);
        out_.push_back({TokenKind::kString, unescape(s_, i + 1, k, line_), line_});
        line_ += count_lines(s_, i, k);
        i = k + 1;
      } else {
        static const char* const kOps[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~",
                                           "<",  ">",  "=",  "(",  ")",  "[",  "]", "{", "}", ",", ".", ":", "|"};
        const char* op = nullptr;
        for (const char* o : kOps) {
          if (s_.compare(i, std::char_traits<char>::length(o), o) == 0) {
            op = o;
            break;
          }
        }
        if (!op) throw Error(std::string("unexpected character '") + c + "' in template tag", line_);
        const std::string o(op);
        if (o == "(" || o == "[" || o == "{") ++depth;
        if (o == ")" || o == "]" || o == "}") --depth;
        out_.push_back({TokenKind::kOp, o, line_});
        i += o.size();
      }
    }
  }

  std::string s_;
  std::vector<Token> out_;
  int line_ = 1;
};

}  // namespace

std::vector<Token> lex(const std::string& source) { return Lexer(source).run(); }

}  // namespace hearth::jinja

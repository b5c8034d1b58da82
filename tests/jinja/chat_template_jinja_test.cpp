// Jinja interpreter semantics chat templates rely on (Python str/list/dict behaviour,
// loop variables, namespace, macros, whitespace control, tojson), error reporting for
// unsupported constructs, and split_reasoning.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "src/tokenizer/chat_template.h"
#include "src/jinja/ast.h"
#include "src/jinja/interpreter.h"

namespace hearth {
namespace {

using ojson = nlohmann::ordered_json;

std::string render(const std::string& tmpl, const ojson& vars = ojson::object()) {
  try {
    jinja::Dict d;
    for (auto it = vars.begin(); it != vars.end(); ++it) d.emplace_back(it.key(), jinja::Value::from_json(it.value()));
    return jinja::render(jinja::parse_template(tmpl), d);
  } catch (const jinja::Error& e) {
    return std::string("ERROR line ") + std::to_string(e.line) + ": " + e.what();
  }
}

TEST(ChatTemplateJinja, PythonStringMethods) {
  EXPECT_EQ(render("{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nhi\\n'.lstrip('\\n') }}|{{ ' a '.rstrip() }}"), "hi|hi\n| a");
  EXPECT_EQ(render("{{ 'a</think>b</think>c'.split('</think>')[-1] }}"), "c");
  EXPECT_EQ(render("{{ ' a  b '.split() | length }}"), "2");
  EXPECT_EQ(render("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}"), "TrueTrue");
  EXPECT_EQ(render("{{ 'héllo'[1:3] }}{{ 'abc'[::-1] }}{{ 'abc'[-1] }}"), "élcbac");
  EXPECT_EQ(render("{{ 'a-b-c'.replace('-', '+', 1) }}{{ 'Hi' | upper }}{{ 'Hi' | lower }}"), "a+b-cHIhi");
  EXPECT_EQ(render("{{ '  x  ' | trim }}|{{ 'xxAxx' | trim('x') }}"), "x|A");
}

TEST(ChatTemplateJinja, ListsDictsAndTests) {
  const ojson vars = {{"m", {{"role", "user"}, {"content", "hi"}}}, {"xs", {1, 2, 3}}};
  EXPECT_EQ(render("{{ m.role }}{{ m['content'] }}{{ m.missing is defined }}{{ m is mapping }}", vars), "userhiFalseTrue");
  EXPECT_EQ(render("{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}", vars), "role=user;content=hi;");
  EXPECT_EQ(render("{{ m.get('x', 'd') }}{{ m.get('role') }}{{ xs[1:] }}{{ xs[::-1] }}", vars), "duser[2, 3][3, 2, 1]");
  EXPECT_EQ(render("{{ xs | join(', ') }}|{{ xs | length }}|{{ xs | first }}{{ xs | last }}", vars), "1, 2, 3|3|13");
  EXPECT_EQ(render("{{ none is none }}{{ 'a' is string }}{{ 3 is number }}{{ xs is iterable }}{{ 4 is even }}", vars),
            "TrueTrueTrueTrueTrue");
  EXPECT_EQ(render("{{ [1, 'a', none, true, 1.5] }}{{ {'a': 1} }}{{ (1,) }}"), "[1, 'a', None, True, 1.5]{'a': 1}(1,)");
  EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 'a' ~ 1 }}"),
            "3 -4 1 2 3.5 1024 a1");
  EXPECT_EQ(render("{{ 'b' in 'abc' }}{{ 2 in xs }}{{ 'role' in m }}{{ 5 not in xs }}", vars), "TrueTrueTrueTrue");
  EXPECT_EQ(render("{% set l = [] %}{% set _ = l.append(1) %}{{ l }}"), "[1]");
  EXPECT_EQ(render("{{ xs | selectattr('x', 'defined') | list }}{{ xs | select('odd') | list }}{{ xs | map('string') | join }}", vars),
            "[][1, 3]123");
}

TEST(ChatTemplateJinja, ToJsonMatchesPythonJsonDumps) {
  const ojson vars = ojson::parse(R"({"t": {"name": "f", "n": 1.0, "x": 1e-7, "u": "é\"\n", "l": [], "d": {}, "b": null}})");
  EXPECT_EQ(render("{{ t | tojson }}", vars),
            "{\"name\": \"f\", \"n\": 1.0, \"x\": 1e-07, \"u\": \"é\\\"\\n\", \"l\": [], \"d\": {}, \"b\": null}");
  EXPECT_EQ(render("{{ {'a': [1, 2]} | tojson(indent=2) }}"), "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
}

TEST(ChatTemplateJinja, LoopsNamespaceMacros) {
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.revindex0 }} {% endfor %}"),
            "1TrueFalse2 2FalseFalse1 3FalseTrue0 ");
  EXPECT_EQ(render("{% for x in [1,2,3,4] if x != 2 %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{{ loop.length }}{% endfor %}"),
            "1333");
  EXPECT_EQ(render("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}"), "1");
  EXPECT_EQ(render("{% set ns = namespace(x=1) %}{% for i in [1] %}{% set ns.x = 2 %}{% endfor %}{{ ns.x }}"), "2");
  EXPECT_EQ(render("{% macro greet(name, p='Hi') %}{{ p }} {{ name }}{% endmacro %}{{ greet('a') }}/{{ greet('b', p='Yo') }}"),
            "Hi a/Yo b");
  EXPECT_EQ(render("{{ 'y' if false else 'n' }}{{ 'z' if false }}{% if 0 %}a{% elif 1 %}b{% else %}c{% endif %}"), "nb");
  EXPECT_EQ(render("{% set s %}in{{ 1 }}{% endset %}{{ s }}"), "in1");
}

TEST(ChatTemplateJinja, WhitespaceControl) {
  // trim_blocks removes the newline after a block tag; lstrip_blocks the indentation before it.
  EXPECT_EQ(render("{% if true %}\n  x\n    {% endif %}\ny"), "  x\ny");
  EXPECT_EQ(render("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(render("a {{- ' b ' -}} c"), "a b c");
  EXPECT_EQ(render("{# comment #}\nx\n"), "x");  // trailing newline dropped (keep_trailing_newline=False)
  EXPECT_EQ(render("{% raw %}{{ not evaluated }}{% endraw %}"), "{{ not evaluated }}");
}

TEST(ChatTemplateJinja, ErrorsNameConstructAndLine) {
  EXPECT_EQ(render("line1\n{% include 'x.html' %}"),
            "ERROR line 2: unsupported template tag '{% include %}' (supported: if, for, set, macro, filter, break, "
            "continue, raw, generation)");
  EXPECT_EQ(render("a\nb\n{{ x | frobnicate }}"), "ERROR line 3: unsupported filter 'frobnicate'");
  EXPECT_EQ(render("{{ 1 is frob }}"), "ERROR line 1: unsupported test 'frob'");
  EXPECT_EQ(render("{{ raise_exception('bad roles') }}"), "ERROR line 1: template raised an exception: bad roles");
  EXPECT_EQ(render("{% if x %}"), "ERROR line 1: unexpected end of template; expected {% elif %}");
  EXPECT_EQ(render("{{ missing.attr }}"), "ERROR line 1: 'missing' is undefined (cannot read attribute 'attr')");
  EXPECT_EQ(render("{{ 'a' + 1 }}"), "ERROR line 1: unsupported operand type(s) for +: 'string' and 'int'");
}

TEST(ChatTemplateJinja, ChatTemplateApiAndChatMl) {
  auto t = ChatTemplate::chatml();
  ASSERT_TRUE(t) << t.message();
  auto r = t->render(nlohmann::json::parse(R"([{"role": "user", "content": "Hi"}])"), true);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(*r, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  auto bad = t->render(nlohmann::json::object(), true);
  EXPECT_FALSE(bad);
}

TEST(ChatTemplateReasoning, SplitReasoning) {
  auto a = split_reasoning("<think>\nstep 1\n</think>\n\nThe answer.");
  EXPECT_EQ(a.reasoning, "step 1");
  EXPECT_EQ(a.answer, "The answer.");
  auto b = split_reasoning("already thinking\n</think>\n\nDone");  // template emitted <think>
  EXPECT_EQ(b.reasoning, "already thinking");
  EXPECT_EQ(b.answer, "Done");
  auto c = split_reasoning("No reasoning here.");
  EXPECT_EQ(c.reasoning, "");
  EXPECT_EQ(c.answer, "No reasoning here.");
  auto d = split_reasoning("<think>unfinished");
  EXPECT_EQ(d.reasoning, "unfinished");
  EXPECT_EQ(d.answer, "");
}

}  // namespace
}  // namespace hearth

# gatekeeper/signals/sql.py: the SQL detectors of gatekeeper.signals.
# SQL injection (SQL built from values and executed) and destructive SQL (DELETE/UPDATE/DROP).
"""SQL in added lines: :func:`sql_injection` and :func:`destructive_sql`.

Both start from plain substring scans; the SQL grammar patterns are compiled only when a
line holds a SQL keyword or an execute/query call.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping

from gatekeeper.signals._code import (
    _LIT_MARK,
    _gather,
    _is_fstring,
    _is_template,
    _relit,
    _split_args,
    _tokenize,
    _top_level,
)
from gatekeeper.signals._common import (
    _COMMENT_LINE,
    Lines,
    Params,
    SignalHit,
    _candidates,
    _excerpt,
    _ext,
    _lang,
    _rx,
    _scan,
    _sha,
)

_NAME = r"[\w.\"'`\[\]${}%]+"
#: SQL's words, any one of which makes a literal SQL where a weak call (execute) takes it.
_WEAK_WORDS = ("select", "insert", "update", "delete", "from", "where", "set", "values", "into",
               "drop", "create", "alter", "table", "pragma", "vacuum", "attach", "truncate",
               "replace", "merge", "union", "join", "limit", "grant", "call")
_SQL_WEAK = r"(?i)\b(?:" + "|".join(_WEAK_WORDS) + r")\b"
_COLUMN = r"(?:\*|[\w.{}$%()*\"`\[\]]+(?:\s+as\s+\w+)?)"
_SQL_STRONG = (r"(?i)\bselect\s+(?:distinct\s+)?" + _COLUMN + r"(?:\s*,\s*" + _COLUMN
               + r")*\s+from\b|"
               r"\binsert\s+(?:or\s+\w+\s+)?into\b|\bdelete\s+from\b|"
               r"\bupdate\s+" + _NAME + r"\s+set\b|\bpragma\s+\w+|\bvalues\s*\(|\border\s+by\b|"
               r"\b(?:drop|create|alter|truncate)\s+(?:table|database|index|view|schema|trigger)\b|"
               r"\bwhere\s+" + _NAME + r"\s*(?:=|<|>|!=|\bin\b|\blike\b|\bis\b)|\bgroup\s+by\b")
#: The words one of which every match of :data:`_SQL_WEAK` or :data:`_SQL_STRONG` holds (each
#: of their branches starts with one): ASCII text without any cannot match, and the
#: pattern is not even compiled for it (a commit hook compiles what it uses).
_SQL_WORDS = {
    _SQL_WEAK: _WEAK_WORDS,
    _SQL_STRONG: ("select", "insert", "delete", "update", "pragma", "values", "order", "drop",
                  "create", "alter", "truncate", "where", "group"),
}
_SQL_KEYWORDS = ("select", "insert", "update", "delete", "drop", "create", "alter", "truncate",
                 "pragma", "where", 'f"""', "f'''", "= `")
_SQL_CALLS = (r"(?<![\w$])(?P<fn>execute|executemany|executescript|exec_driver_sql|executeQuery|"
              r"executeUpdate|executeLargeUpdate|addBatch|prepareStatement|prepareCall|createQuery|"
              r"createNativeQuery|createSQLQuery|query|\$queryRawUnsafe|\$executeRawUnsafe|raw|"
              r"Raw|text|read_sql|read_sql_query|Query|QueryRow|QueryContext|QueryRowContext|"
              r"Exec|ExecContext|Prepare|PrepareContext)\s*\(")
_SQL_CALL_KEYWORDS = ("exec", "query", "raw", "text", "read_sql", "prepare", "addbatch")
#: A call of :data:`_SQL_CALLS` on a lower-cased line: each of its names holds one of the
#: :data:`_SQL_CALL_KEYWORDS`, then more word characters, then ``(``.
_SQL_CALL_TAIL = r"\w*\s*\("
#: What opens a string literal for _tokenize.
_QUOTE = r"[\"'`]"
_SQL_CTX = frozenset({"QueryContext", "QueryRowContext", "ExecContext", "PrepareContext"})
_SQL_NEEDS_STRONG = frozenset({"query", "Query", "raw", "Raw", "text", "read_sql",
                               "read_sql_query", "createQuery", "prepareStatement", "Prepare"})
# name = / name := / name += at the start of a line (needs an "=": the cheap trigger)
_SQL_ASSIGN = (r"^\s*(?:(?:const|let|var|final|val|String|string|auto|static|private|"
               r"public|protected)\s+)*(?P<name>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)"
               r"\s*(?::\s*[\w.\[\]<>|]+\s*)?(?P<op>:=|\+=|=)(?!=)\s*")
_FMT_PCT = r"\x02\s*%\s*[\w(\[{$]"
_FMT_DOT = r"\x02\s*\)?\s*\.\s*format\s*\("
_FMT_CALL = r"(?:Sprintf|String\.format|sprintf|format)\s*\(\s*\x01"
_VAR_USE = (r"(?s)\s*(?P<name>[A-Za-z_$][\w$]*(?:\.(?!format\b)[A-Za-z_$][\w$]*)*)\s*"
            r"(?P<op>%|\+|\.format\b)?(?P<rest>.*)")


_SQL_ADVICE = {
    "py": 'bind values: cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,)) (? in '
          'sqlite3; text("... WHERE id = :id") with {"id": user_id} in SQLAlchemy); pick '
          "identifiers from an allow-list",
    "js": "bind values: db.query('SELECT * FROM users WHERE id = $1', [userId]) (or ?), or a "
          "tagged template such as sql`... ${userId}` / prisma.$queryRaw`...`",
    "go": 'bind values: db.QueryContext(ctx, "SELECT * FROM users WHERE id = $1", id) (? for '
          "MySQL/SQLite)",
    "java": 'use a PreparedStatement: conn.prepareStatement("SELECT * FROM users WHERE id = ?"), '
            "then ps.setLong(1, id) (or a named :param in JPA)",
    "": "bind values as parameters (placeholders ?, $1 or :name); never format them into SQL",
}



def _sql_in(pattern: str, text: str) -> bool:
    """Whether the SQL ``pattern`` (:data:`_SQL_WEAK` or :data:`_SQL_STRONG`) matches in
    ``text``. Its case-insensitive words are looked for first in ASCII text (other text may
    spell them with letters that only match case-insensitively, such as a long s)."""
    words = _SQL_WORDS.get(pattern)
    if words is not None and text.isascii():
        low = text.lower()
        if not any(w in low for w in words):
            return False
    return _rx(pattern).search(text) is not None


def _how_dynamic(expr: str, keywords: str,
                 sql_vars: Mapping[str, tuple[int, bool, str]]) -> str | None:
    """How ``expr`` builds SQL from values, or None when it does not; the literals must
    match the ``keywords`` pattern (compiled only then) for a formatted one to count."""
    masked, lits = _tokenize(expr)
    top = _top_level(masked)
    how = ("f-string" if any(map(_is_fstring, lits)) else
           "a template literal" if any(map(_is_template, lits)) else
           "Sprintf/format()" if _rx(_FMT_CALL).search(masked) else
           "%-formatting" if _rx(_FMT_PCT).search(masked) else
           ".format()" if _rx(_FMT_DOT).search(masked) else
           "concatenation" if lits and "+" in top and _rx(r"[\w$]").search(
               _rx(_LIT_MARK).sub("", top))
           else None)
    if how and _sql_in(keywords, " ".join(lit.body for lit in lits)):
        return how
    m = _rx(_VAR_USE).fullmatch(masked)
    name, op, rest = (m.group("name"), m.group("op"), m.group("rest")) if m else ("", "", "")
    if name not in sql_vars or (not op and rest.strip()) or (
            op == "+" and not _rx(r"[\w$]").search(_rx(_LIT_MARK).sub("", rest))):
        return None  # not a SQL variable, or one that only grows by literals
    line, dynamic, built = sql_vars[name]
    if op:
        return f"formatting of '{name}' (line {line})"
    return f"{built} on line {line}" if dynamic else None


def sql_injection(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """SQL built by formatting or concatenation and passed to an execute/query call, on the
    same line or through a variable assigned on an earlier added line of the file."""
    # Only a call can report, so a file with none is done, and lines after the last call
    # line are never read.
    scan = _scan(lines)
    calls = [scan.matching(kw + _SQL_CALL_TAIL) for kw in _SQL_CALL_KEYWORDS if kw in scan.low]
    last = max((got[-1] for got in calls if got), default=-1)
    # Every call _SQL_CALLS finds is on one of these lines: each of its names, lower-cased,
    # holds a call keyword followed by word characters and the parenthesis.
    call_lines: set[int] = set().union(*calls) if last >= 0 else set()
    hits: list[SignalHit] = []
    sql_vars: dict[str, tuple[int, bool, str]] = {}  # name -> (line, dynamic, how)
    for i in _candidates(lines, _SQL_KEYWORDS + _SQL_CALL_KEYWORDS) if last >= 0 else ():
        if i > last:
            break
        n, text = lines[i]
        m = _rx(_SQL_ASSIGN).match(text) if "=" in text else None
        if m and (i not in call_lines or not _rx(_SQL_CALLS).match(text, m.end())):
            rhs = _gather(lines, i, m.end(), call=False)
            # With no SQL variable yet, a value without a string literal can neither make
            # one nor drop one: _how_dynamic and the literal test need a literal.
            if sql_vars or _rx(_QUOTE).search(rhs):
                name, prev = m.group("name"), sql_vars.get(m.group("name"))
                how = _how_dynamic(rhs, _SQL_STRONG, sql_vars)
                masked, lits = _tokenize(rhs)
                if m.group("op") == "+=" and prev:
                    grows = bool(_rx(r"[\w$)]").search(_rx(_LIT_MARK).sub("", masked)))
                    built = how or prev[2] or "concatenation"
                    sql_vars[name] = (n, bool(how) or prev[1] or grows, built)
                elif how or any(_sql_in(_SQL_STRONG, lit.body) for lit in lits):
                    sql_vars[name] = (n, bool(how), how or "")
                else:
                    sql_vars.pop(name, None)
        if i not in call_lines:
            continue
        for c in itertools.islice(_rx(_SQL_CALLS).finditer(text), 8):
            fn = c.group("fn").lstrip("$")
            masked, lits = _tokenize(_gather(lines, i, c.end(), call=True))
            args = _split_args(masked)
            arg = args[1] if fn in _SQL_CTX and len(args) > 1 else args[0]
            keywords = _SQL_STRONG if fn in _SQL_NEEDS_STRONG else _SQL_WEAK
            how = _how_dynamic(_relit(arg, lits), keywords, sql_vars)
            if how and not _constant(_relit(arg, lits), lines, i):
                hits.append(SignalHit(n, f"SQL built with {how} passed to {fn}()", _excerpt(text),
                                      _SQL_ADVICE[_lang(path)],
                                      f"sql-injection:{fn}:{_sha(text.strip())}"))
                break
    return hits


# ------------------------------------------------- constants, literals and ORM-built SQL
# Asked only about a would-be hit, so a clean file never pays for it: every value that
# flows into the SQL text is followed back, within the function, to its assignments.

#: Calls whose result is safe in SQL text: identifier quoting, numbers, lengths.
_SAFE_CALLS = frozenset({"quote_name", "qn", "quote_ident", "quote_identifier",
                         "escape_identifier", "Identifier", "int", "float", "len", "bool"})
#: Calls that return SQL the ORM generated, with its values kept apart as parameters.
_ORM_SQL = r"\b(?:as_sql|sql_with_params|get_compiler|compile|sql_flush|sql_create_index)\s*\("
_KEYWORDS = frozenset({"self", "cls", "this", "None", "True", "False", "and", "or", "not", "in",
                       "is", "if", "else", "null", "true", "false", "nil", "r", "f", "b", "u",
                       "rb", "br", "fr", "rf", "format", "join", "strip", "lower", "upper"})
_CHAIN = r"(?<![\w$.\x01])[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*(?P<call>\s*\()?"
_DEF = r"^(?P<ind>\s*)(?:async\s+def|def|function|func|public|private|protected|static)\b"


def _drop_safe_calls(masked: str) -> str:
    """``masked`` without the arguments of identifier-quoting and numeric calls."""
    out, k = [], 0
    for m in _rx(r"(?:[A-Za-z_]\w*\s*\.\s*)*(?P<fn>[A-Za-z_]\w*)\s*\(").finditer(masked):
        if m.start() < k or m.group("fn") not in _SAFE_CALLS:
            continue
        depth, e = 0, m.end() - 1
        while e < len(masked):
            depth += (masked[e] == "(") - (masked[e] == ")")
            if depth == 0:
                break
            e += 1
        out.append(masked[k:m.start()] + "0")
        k = e + 1
    return "".join(out) + masked[k:]


def _constant(expr: str, lines: Lines, i: int, depth: int = 0) -> bool:
    """Whether every value in ``expr`` is a literal, a constant (UPPER_CASE, a class attribute
    or a local assigned only constants in the function), ORM metadata (``_meta.db_table``),
    quoted identifiers or ORM-generated SQL: then formatting it into SQL injects nothing."""
    if depth > 4:
        return False
    masked, lits = _tokenize(expr[:4000])
    for lit in lits:
        if _is_fstring(lit) or _is_template(lit):
            body = lit.body.replace("{{", "").replace("}}", "")
            inner = _rx(r"\$?\{([^{}]*)\}").findall(body)
            if not all(_constant(_rx(r"!|:(?!=)").split(e)[0], lines, i, depth + 1)
                       for e in inner):
                return False
    masked = _drop_safe_calls(masked)
    for m in _rx(_CHAIN).finditer(masked):
        chain = _rx(r"\s+").sub("", m.group(0)).rstrip("(")
        last = chain.rsplit(".", 1)[-1]
        if chain in _KEYWORDS or masked[:m.start()].rstrip().endswith("."):
            continue  # a keyword, or a method of the value before it (checked itself)
        if m.group("call"):
            return False  # an unknown call's result
        if last == "db_table" or "._meta." in f".{chain}.":
            continue  # ORM metadata: table and column names
        if not _assigned_constant(chain, lines, i, depth):
            return False
    return True


def _assigned_constant(chain: str, lines: Lines, i: int, depth: int) -> bool:
    """Whether ``chain`` (a name, ``self.x``, ``cls.x``, ``CONST``) is assigned only constant
    values: within the enclosing function for a local, anywhere in the file for an attribute
    or an UPPER_CASE name (which counts as constant when the file does not assign it)."""
    parts = chain.split(".")
    attr = parts[0] in ("self", "cls", "this") and len(parts) == 2
    name = parts[-1] if attr else chain
    upper = name.replace("_", "").isupper() if name.replace("_", "") else False
    if not attr and len(parts) > 1:
        return upper  # module.CONSTANT; any other attribute is unknown
    target = (r"(?:(?:self|cls|this)\.)?" + _rx(r"\.").sub(r"\\.", name) if attr
              else _rx(r"\.").sub(r"\\.", name))
    assign = _rx(r"^\s*(?:(?:const|let|var|final|String|string)\s+)?(?P<lhs>(?:[\w.$]+\s*,\s*)*"
                 + target + r"(?:\s*,\s*[\w.$]+)*)\s*(?::[^=\n]+)?(?P<op>\+=|=)(?!=)")
    lo = 0
    if not attr and not upper:  # a local: only its own function's lines count
        ind = len(lines[i][1]) - len(lines[i][1].lstrip())
        for k in range(i - 1, -1, -1):
            d = _rx(_DEF).match(lines[k][1])
            if d and len(d.group("ind")) < ind:
                lo = k
                break
    scope = range(lo, len(lines)) if attr or upper else range(lo, i)
    found = False
    for k in scope:
        a = assign.match(lines[k][1])
        if not a or k == i:
            continue
        found = True
        rhs = _gather(lines, k, a.end(), call=False)
        if "," in a.group("lhs"):  # tuple unpacking: only ORM-built (sql, params) is known
            if not _rx(_ORM_SQL).search(rhs):
                return False
        elif not (_rx(_ORM_SQL).search(rhs) or _constant(rhs, lines, k, depth + 1)):
            return False
    return found or upper


# ----------------------------------------------------------------------- destructive SQL

_DESTRUCT = (r"(?i)\b(?P<delete_without_where>delete)\s+from\s+" + _NAME + r"|\b(?P<update_without_"
             r"where>update)\s+(?:or\s+\w+\s+)?" + _NAME + r"\s+set\b|\b(?P<drop>drop)\s+(?:table|"
             r"database|schema)\s+(?:if\s+exists\s+)?[\w.\"`\[\]]+|\b(?P<truncate>truncate)\s+"
             r"(?:table\s+)?[\w.\"`\[\]]+|\balter\s+table\s+" + _NAME + r"\s+(?P<drop_column>drop)"
             r"\s+column\b")
_UPPER_DESTRUCT = (r"\b(?:DELETE\s+FROM|UPDATE\s+\S+\s+SET|DROP\s+(?:TABLE|DATABASE|"
                   r"SCHEMA|COLUMN)|TRUNCATE)\b")
_WHERE = r"(?i)\bwhere\b"
_DESTRUCTIVE = {  # kind: (what was seen, advice)
    "delete_without_where": ("DELETE without WHERE", "name the rows: DELETE FROM t WHERE id = ?; "
                             "a deliberate purge goes in a reviewed migration"),
    "update_without_where": ("UPDATE without WHERE", "name the rows: UPDATE t SET ... WHERE "
                             "id = ?; a deliberate backfill goes in a reviewed migration"),
    "drop": ("DROP statement", "drop only in a reviewed migration by the database engineer, "
             "after a backup or a reversible rename"),
    "truncate": ("TRUNCATE statement", "truncate only in a reviewed migration by the database "
                 "engineer; otherwise delete the named rows"),
    "drop_column": ("ALTER TABLE ... DROP COLUMN", "drop columns in a reviewed migration "
                    "(expand/contract), once no code reads them"),
}


def destructive_sql(path: str, lines: Lines, params: Params) -> list[SignalHit]:
    """DELETE/UPDATE without WHERE, DROP TABLE/DATABASE/SCHEMA and TRUNCATE in added SQL:
    whole statements in .sql files; SQL string literals (or upper-case SQL) in code."""
    kinds = set(params.get("kinds", ("delete_without_where", "update_without_where", "drop",
                                     "truncate")))
    if _ext(path) in set(params.get("sql_extensions", ("sql", "psql", "pgsql", "ddl", "dml"))):
        return _destructive_statements(lines, kinds)
    hits: list[SignalHit] = []
    for i in _candidates(lines, ("delete", "update", "drop", "truncate")):
        n, text = lines[i]
        # Every finding is a match of _DESTRUCT in a string literal or in the whole line,
        # and a literal's match is one of the line's (quotes are not word characters): a
        # line with none is not tokenized.
        if _rx(_COMMENT_LINE).match(text) or not _rx(_DESTRUCT).search(text):
            continue
        segments = [(lit.body, not lit.closed) for lit in _tokenize(text)[1]]  # (SQL, goes on)
        if not any(_rx(_DESTRUCT).search(s) for s, _ in segments) and \
                _rx(_UPPER_DESTRUCT).search(text):
            segments = [(text, True)]  # a line inside a multi-line string
        for code, follow in segments:
            for m in itertools.islice(_rx(_DESTRUCT).finditer(code), 8):
                kind = next(k for k, v in m.groupdict().items() if v)
                word = m.group(kind)
                if kind not in kinds or not (word.isupper() or (
                        word.islower() and kind != "truncate" and not code[:m.start()].strip())):
                    continue  # in code: upper-case SQL, or a lower-case literal that starts with it
                rest = code[m.end():m.end() + 4000]
                if kind.endswith("_where") and _code_has_where(lines, i, rest, follow):
                    continue
                hits.append(_destructive_hit(kind, n, text, code[m.start():m.end() + 4000]))
                break  # one finding per line is enough
            else:
                continue
            break
    return hits


def _destructive_statements(lines: Lines, kinds: set[str]) -> list[SignalHit]:
    """The .sql case: statements may span lines; WHERE counts up to the closing ``;``."""
    texts = [t.split("--", 1)[0] for _, t in lines]
    blob = "\n".join(texts)
    ends = list(itertools.accumulate(len(t) + 1 for t in texts))
    semis = [k for k, ch in enumerate(blob) if ch == ";"] if ";" in blob else []
    wheres = [w.start() for w in _rx(_WHERE).finditer(blob)]
    hits: list[SignalHit] = []
    for m in _rx(_DESTRUCT).finditer(blob):
        kind = next(k for k, v in m.groupdict().items() if v)
        n, text = lines[bisect.bisect_right(ends, m.start())]
        if kind not in kinds or (hits and hits[-1].line == n):
            continue  # one finding per line is enough
        k = bisect.bisect_left(semis, m.end())
        end = semis[k] if k < len(semis) else len(blob)
        w = bisect.bisect_left(wheres, m.end())
        if not (kind.endswith("_where") and w < len(wheres) and wheres[w] < end):
            hits.append(_destructive_hit(kind, n, text, blob[m.start():min(end, m.end() + 4000)]))
    return hits


def _destructive_hit(kind: str, n: int, text: str, stmt: str) -> SignalHit:
    seen, advice = _DESTRUCTIVE[kind]
    key = " ".join(stmt.split(";")[0].lower().split())
    return SignalHit(n, seen, _excerpt(text), advice, f"destructive-sql:{kind}:{_sha(key)}")


def _code_has_where(lines: Lines, i: int, rest: str, follow: bool) -> bool:
    """Whether WHERE comes before the statement ends: ``;`` or the end of the string."""
    j = i
    while True:
        if _rx(_WHERE).search(rest.split(";")[0]):
            return True
        if ";" in rest or not follow or (j > i and _rx(r"[\"'`]").search(rest)):
            return False
        if j + 1 >= len(lines) or lines[j + 1][0] != lines[j][0] + 1 or j - i >= 50:
            return False
        j += 1
        rest = lines[j][1][:4000]

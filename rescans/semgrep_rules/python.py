# Test cases for the auditor Python rule pack (semgrep --test format).
import os
import pickle
import shlex
import ssl
import subprocess
import hashlib
import hmac
import sqlite3
import sqlalchemy
from sqlalchemy import text

import jinja2
import jwt
import requests
import urllib3
import yaml
import aiohttp_jinja2
from flask import Flask, request, render_template_string, render_template, send_file, jsonify, make_response
from django.http import HttpResponse
from django.utils.safestring import mark_safe
from django.utils.html import escape, format_html
from markupsafe import Markup
from werkzeug.utils import secure_filename
from Crypto.Cipher import AES, DES, ARC4
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

app = Flask(__name__)


# ------------------------------------------------------------- SQL injection
def sql_request_format(cur):
    name = request.args.get("name")
    # ruleid: auditor.python.sql-injection
    cur.execute("SELECT * FROM users WHERE name = %s" % name)


def sql_request_concat(cur):
    uid = request.form["id"]
    query = "SELECT * FROM users WHERE id = " + uid
    # ruleid: auditor.python.sql-injection
    cur.execute(query)


def sql_quoted_splice(cur, term):
    str_query = "SELECT first_name FROM customer WHERE username = '%s';" % term
    # ruleid: auditor.python.sql-built-with-quoted-values
    cur.execute(str_query)


async def sql_quoted_named_splice(conn, name):
    q = ("INSERT INTO students (name) "
         "VALUES ('%(name)s')" % {'name': name})
    async with conn.cursor() as cur:
        # ruleid: auditor.python.sql-built-with-quoted-values
        await cur.execute(q)


def sql_fstring_quoted(cur, user):
    # ruleid: auditor.python.sql-built-with-quoted-values
    cur.execute(f"DELETE FROM sessions WHERE user = '{user}'")


def sql_django_raw(User):
    # ruleid: auditor.python.sql-injection, auditor.python.sql-built-with-quoted-values
    return User.objects.raw("SELECT * FROM auth_user WHERE email = '%s'" % request.GET["email"])


def sql_quoted_placeholder_parameterised(cur, name):
    # ok: auditor.python.sql-built-with-quoted-values
    cur.execute("SELECT * FROM users WHERE name = %s AND kind = 'x'", (name,))


def sql_literal_only(cur, x):
    # ok: auditor.python.sql-built-with-quoted-values
    cur.execute("SELECT * FROM t WHERE a = '%s'", (x,))


def sql_text_wrapped(session, title):
    stmt = f"SELECT id FROM books WHERE title = '{title}'"
    # ruleid: auditor.python.sql-built-with-quoted-values
    return session.execute(text(stmt))


def sql_text_wrapped_inline(engine, code):
    with engine.connect() as conn:
        # ruleid: auditor.python.sql-built-with-quoted-values
        conn.execute(sqlalchemy.text("DELETE FROM coupons WHERE code = '%s'" % code))


def sql_text_bound(session, title):
    # ok: auditor.python.sql-built-with-quoted-values
    return session.execute(text("SELECT id FROM books WHERE title = :title"), {"title": title})


def sql_parameterised(cur):
    name = request.args.get("name")
    # ok: auditor.python.sql-injection
    cur.execute("SELECT * FROM users WHERE name = %s", (name,))


def sql_identifier_from_code(cur, table, connection):
    # ok: auditor.python.sql-injection
    cur.execute("SELECT COUNT(*) FROM %s" % connection.ops.quote_name(table))


def sql_int_cast(cur):
    limit = int(request.args.get("limit", 10))
    # ok: auditor.python.sql-injection
    cur.execute("SELECT * FROM t LIMIT %d" % limit)


def sql_unquoted_internal_format(cur, columns):
    # ok: auditor.python.sql-injection
    cur.execute("SELECT %s FROM t WHERE id = %%s" % ", ".join(columns), [1])


# ---------------------------------------------------------- command injection
def cmd_request():
    host = request.args["host"]
    # ruleid: auditor.python.command-injection, auditor.python.shell-command-built-from-string
    os.system("ping -c1 " + host)


def cmd_request_shell_true():
    # ruleid: auditor.python.command-injection, auditor.python.shell-command-built-from-string
    subprocess.run("nslookup %s" % request.form["domain"], shell=True)


def cmd_request_list_no_shell():
    # ok: auditor.python.command-injection
    subprocess.run(["ping", "-c1", request.args["host"]])


def cmd_request_quoted():
    # ok: auditor.python.command-injection, auditor.python.shell-command-built-from-string
    os.system("ping -c1 " + shlex.quote(request.args["host"]))


def shell_string_built(path):
    # ruleid: auditor.python.shell-command-built-from-string
    os.system("tar czf backup.tgz %s" % path)


def shell_string_fstring(path):
    # ruleid: auditor.python.shell-command-built-from-string
    subprocess.check_output(f"du -sh {path}", shell=True)


def shell_string_literal():
    # ok: auditor.python.shell-command-built-from-string
    os.system("make clean")


def shell_list(path):
    # ok: auditor.python.shell-command-built-from-string
    subprocess.run(["du", "-sh", path])


# ---------------------------------------------------------- code injection
def code_eval():
    expr = request.args.get("expr")
    # ruleid: auditor.python.code-injection
    return eval(expr)


def code_eval_literal():
    import ast
    # ok: auditor.python.code-injection
    return ast.literal_eval(request.args.get("expr"))


# ------------------------------------------------------------ path traversal
def path_open():
    name = request.args.get("file")
    # ruleid: auditor.python.path-traversal
    with open(os.path.join("/srv/files", name)) as fh:
        return fh.read()


def path_send_file():
    # ruleid: auditor.python.path-traversal
    return send_file("uploads/" + request.args["name"])


def path_sanitised():
    name = secure_filename(request.args.get("file"))
    # ok: auditor.python.path-traversal
    return open(os.path.join("/srv/files", name)).read()


def path_basename():
    name = os.path.basename(request.args.get("file"))
    # ok: auditor.python.path-traversal
    return send_file(os.path.join("/srv/files", name))


# -------------------------------------------------------- template injection
@app.errorhandler(404)
def not_found(e):
    template = '''<h1>Oops</h1><h3>%s</h3>''' % request.url
    # ruleid: auditor.python.template-injection
    return render_template_string(template), 404


def template_from_error(e):
    page = "<h3>%s</h3>" % str(e)
    # ruleid: auditor.python.template-injection
    return render_template_string(page)


def template_jinja_request():
    # ruleid: auditor.python.template-injection
    return jinja2.Template(request.form["tpl"]).render()


def template_constant(name):
    # ok: auditor.python.template-injection
    return render_template_string("<h3>{{ name }}</h3>", name=name)


def template_constant_with_request():
    # ok: auditor.python.template-injection
    return render_template_string("<h3>{{ q }}</h3>", q=request.args.get("q"))


# ----------------------------------------------------------------------- XSS
def xss_django(request):
    name = request.GET.get("name")
    # ruleid: auditor.python.xss-request-to-response
    return HttpResponse("<p>Hello " + name + "</p>")


def xss_mark_safe(request):
    # ruleid: auditor.python.xss-request-to-response
    return mark_safe(request.POST["bio"])


@app.route("/hello")
def xss_flask_return():
    # ruleid: auditor.python.xss-request-to-response
    return "<p>Hello %s</p>" % request.args.get("name")


def xss_plain_text_response(request):
    name = request.GET.get("name")
    # ok: auditor.python.xss-request-to-response
    return HttpResponse(f"hello {name}\n", content_type="text/plain; version=0.0.4")


def xss_json_text_response(request):
    # ok: auditor.python.xss-request-to-response
    return HttpResponse('{"q": "%s"}' % request.GET["q"], content_type="application/json")


def xss_html_content_type(request):
    # ruleid: auditor.python.xss-request-to-response
    return HttpResponse("<b>%s</b>" % request.GET["q"], content_type="text/html")


def xss_escaped(request):
    name = escape(request.GET.get("name"))
    # ok: auditor.python.xss-request-to-response
    return HttpResponse("<p>Hello " + name + "</p>")


def xss_template_render(request, Template, Context):
    t = Template("Value: {{ var }}")
    # ok: auditor.python.xss-request-to-response
    return HttpResponse(t.render(Context({"var": request.GET.get("var")})))


@app.route("/api")
def xss_flask_json():
    # ok: auditor.python.xss-request-to-response
    return jsonify({"q": request.args.get("q")})


@app.route("/page")
def xss_flask_template():
    # ok: auditor.python.xss-request-to-response
    return render_template("page.html", q=request.args.get("q"))


def autoescape_off():
    # ruleid: auditor.python.template-autoescape-disabled
    env = jinja2.Environment(loader=jinja2.FileSystemLoader("t"), autoescape=False)
    return env


def autoescape_off_aiohttp(app2, loader):
    # ruleid: auditor.python.template-autoescape-disabled
    aiohttp_jinja2.setup(app2, loader=loader, autoescape=False)


def autoescape_on():
    # ok: auditor.python.template-autoescape-disabled
    return jinja2.Environment(loader=jinja2.FileSystemLoader("t"), autoescape=True)


def mark_safe_format(user):
    # ruleid: auditor.python.mark-safe-formatted-string
    return mark_safe("<b>%s</b>" % user.name)


def markup_fstring(user):
    # ruleid: auditor.python.mark-safe-formatted-string
    return Markup(f"<b>{user.name}</b>")


def mark_safe_format_html(user):
    # ok: auditor.python.mark-safe-formatted-string
    return format_html("<b>{}</b>", user.name)


def mark_safe_escaped(value):
    # ok: auditor.python.mark-safe-formatted-string
    return mark_safe('<pre>%s</pre>' % escape(value))


def mark_safe_escaped_format(value):
    # ok: auditor.python.mark-safe-formatted-string
    return mark_safe('<a href="{value}">{value}</a>'.format(value=escape(value)))


def mark_safe_not_escaped_call(value):
    # ruleid: auditor.python.mark-safe-formatted-string
    return mark_safe('<pre>%s</pre>' % str(value))


def mark_safe_nested_format(html, css_class):
    import re
    # ok: auditor.python.mark-safe-formatted-string
    return mark_safe(re.sub(">", ' class="%s">' % css_class, html))


def mark_safe_constant():
    # ok: auditor.python.mark-safe-formatted-string
    return mark_safe("<br>")


# -------------------------------------------------- unsafe deserialization
def deser_request():
    data = request.get_data()
    # ruleid: auditor.python.unsafe-deserialization-request-input, auditor.python.pickle-load
    obj = pickle.loads(data)
    return obj


def deser_request_yaml():
    # ruleid: auditor.python.unsafe-deserialization-request-input, auditor.python.yaml-unsafe-load
    return yaml.unsafe_load(request.files["cfg"].read())


def deser_request_json():
    import json
    # ok: auditor.python.unsafe-deserialization-request-input
    return json.loads(request.get_data())


def deser_cache(blob):
    # ruleid: auditor.python.pickle-load
    return pickle.loads(blob)


def deser_dumps(obj):
    # ok: auditor.python.pickle-load
    return pickle.dumps(obj)


def yaml_plain(text):
    # ruleid: auditor.python.yaml-unsafe-load
    return yaml.load(text)


def yaml_full_loader(text):
    # ruleid: auditor.python.yaml-unsafe-load
    return yaml.load(text, Loader=yaml.FullLoader)


def yaml_safe_loader(text):
    # ok: auditor.python.yaml-unsafe-load
    return yaml.load(text, Loader=yaml.SafeLoader)


def yaml_safe_load(text):
    # ok: auditor.python.yaml-unsafe-load
    return yaml.safe_load(text)


# --------------------------------------------------- weak hashing / crypto
def hash_password_md5(password):
    # ruleid: auditor.python.weak-password-hash
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def check_password(self, password: str):
    from hashlib import md5
    # ruleid: auditor.python.weak-password-hash
    return self.pwd_hash == md5(password.encode('utf-8')).hexdigest()


def hash_secret_sha1(user):
    # ruleid: auditor.python.weak-password-hash
    return hashlib.sha1(user.secret).hexdigest()


def hash_file_md5(content):
    # ok: auditor.python.weak-password-hash
    return hashlib.md5(content).hexdigest()


def hash_password_not_for_security(password):
    # ok: auditor.python.weak-password-hash
    return hashlib.md5(password, usedforsecurity=False).hexdigest()


def hash_password_strong(password, salt):
    # ok: auditor.python.weak-password-hash
    return hashlib.pbkdf2_hmac("sha256", password, salt, 600000)


def cipher_des(key):
    # ruleid: auditor.python.weak-cipher
    return DES.new(key, DES.MODE_CBC)


def cipher_aes_ecb(key):
    # ruleid: auditor.python.weak-cipher
    return AES.new(key, AES.MODE_ECB)


def cipher_ecb_mode(key):
    # ruleid: auditor.python.weak-cipher
    return Cipher(algorithms.AES(key), modes.ECB())


def cipher_aes_gcm(key, nonce):
    # ok: auditor.python.weak-cipher
    return AES.new(key, AES.MODE_GCM, nonce=nonce)


# ---------------------------------------------------- disabled verification
def tls_off(url):
    # ruleid: auditor.python.tls-verification-disabled
    return requests.get(url, verify=False)


def tls_ctx():
    # ruleid: auditor.python.tls-verification-disabled
    return ssl._create_unverified_context()


def tls_session():
    s = requests.Session()
    # ruleid: auditor.python.tls-verification-disabled
    s.verify = False
    return s


def tls_on(url):
    # ok: auditor.python.tls-verification-disabled
    return requests.get(url, verify="/etc/ssl/private-ca.pem", timeout=5)


def jwt_no_verify(token):
    # ruleid: auditor.python.jwt-verification-disabled
    return jwt.decode(token, verify=False)


def jwt_no_signature(token, key):
    # ruleid: auditor.python.jwt-verification-disabled
    return jwt.decode(token, key, options={"verify_signature": False})


def jwt_ok(token, key):
    # ok: auditor.python.jwt-verification-disabled
    return jwt.decode(token, key, algorithms=["HS256"])


# ---------------------------------------------------------------------- SSRF
def ssrf_fetch():
    target = request.args.get("url")
    # ruleid: auditor.python.ssrf
    return requests.get(target, timeout=5).text


def ssrf_fixed():
    q = request.args.get("q")
    # ok: auditor.python.ssrf
    return requests.get("https://api.example.org/search", params={"q": q}, timeout=5).text


# -------------------------------------------------------- hard-coded secrets
# ruleid: auditor.python.hardcoded-credential
DB_PASSWORD = "s3cr3t-Pa55"

# ruleid: auditor.python.hardcoded-credential
app.secret_key = 'F12Zr47j3yX R~X@H!jmM]Lwf/,?KT'

# ruleid: auditor.python.hardcoded-credential
app.config["SECRET_KEY"] = "am0r3C0mpl3xK3y"


def connect():
    # ruleid: auditor.python.hardcoded-credential
    return sqlite3.connect("db", password="hunter22")


# ok: auditor.python.hardcoded-credential
SECRET_KEY = os.environ["SECRET_KEY"]

# ok: auditor.python.hardcoded-credential
PASSWORD = ""

# ok: auditor.python.hardcoded-credential
api_key = "${API_KEY}"

# ok: auditor.python.hardcoded-credential
password_field = "password"


def debug_server_on_every_interface(app):
    # ruleid: auditor.python.debug-server-exposed
    app.run(host="0.0.0.0", port=8080, debug=True)


def debug_server_local(app):
    # ruleid: auditor.python.debug-server-enabled
    app.run(debug=True)


def debug_server_off(app, port):
    # ok: auditor.python.debug-server-exposed, auditor.python.debug-server-enabled
    app.run(host="0.0.0.0", port=port, debug=False)


def debug_from_settings(app, settings):
    # ok: auditor.python.debug-server-enabled
    app.run(debug=settings.DEBUG)

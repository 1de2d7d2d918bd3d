// Test cases for the auditor JavaScript/TypeScript rule pack (semgrep --test format).
const express = require('express');
const { exec, execFile } = require('child_process');
const cp = require('child_process');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const axios = require('axios');
const ejs = require('ejs');
const jwt = require('jsonwebtoken');
const serialize = require('node-serialize');
const https = require('https');

const app = express();

// ------------------------------------------------------------ SQL injection
app.get('/user', async (req, res) => {
  // ruleid: auditor.javascript.sql-injection
  const rows = await db.query("SELECT * FROM users WHERE id = " + req.query.id);
  res.json(rows);
});

app.post('/pass', async (req, res) => {
  const saveQuery = `INSERT INTO passphrases (passphrase) values ('${req.body.passphrase}')`;
  // ruleid: auditor.javascript.sql-injection, auditor.javascript.sql-built-with-quoted-values
  await sequelize.query(saveQuery);
  res.json({ ok: true });
});

async function findByName(pool, name) {
  // ruleid: auditor.javascript.sql-built-with-quoted-values
  return pool.query(`SELECT * FROM users WHERE name = '${name}'`);
}

async function findByNameConcat(conn, name) {
  // ruleid: auditor.javascript.sql-built-with-quoted-values
  return conn.query("SELECT * FROM products WHERE category='" + name + "'");
}

app.get('/user2', async (req, res) => {
  // ok: auditor.javascript.sql-injection
  const rows = await db.query('SELECT * FROM users WHERE id = ?', [req.query.id]);
  res.json(rows);
});

app.get('/user3', async (req, res) => {
  // ok: auditor.javascript.sql-injection
  const rows = await db.query('SELECT * FROM users WHERE id = ' + db.escape(req.query.id));
  res.json(rows);
});

async function countRows(pool, table) {
  // ok: auditor.javascript.sql-built-with-quoted-values
  return pool.query(`SELECT COUNT(*) FROM ${table}`);
}

// ------------------------------------------------------------ NoSQL $where
async function search(collection, type, name) {
  // ruleid: auditor.javascript.nosql-where-injection
  const query = { $where: `this.type == '${type}' && this.name == '${name}'` };
  return collection.find(query).toArray();
}

async function searchConst(collection) {
  // ok: auditor.javascript.nosql-where-injection
  const query = { $where: 'this.a == this.b' };
  return collection.find(query).toArray();
}

// -------------------------------------------------------- command injection
app.get('/sys/:command', (req, res) => {
  // ruleid: auditor.javascript.command-injection, auditor.javascript.shell-command-built-from-string
  exec(req.params.command + ' -a', (err, stdout) => res.send(stdout));
});

app.get('/ping', (req, res) => {
  const host = req.query.host;
  // ruleid: auditor.javascript.command-injection
  cp.execSync(host);
  res.end();
});

app.get('/ping2', (req, res) => {
  // ok: auditor.javascript.command-injection
  execFile('ping', ['-c1', req.query.host], () => res.end());
});

function backup(dir) {
  // ruleid: auditor.javascript.shell-command-built-from-string
  exec(`tar czf backup.tgz ${dir}`);
}

function buildConst() {
  // ok: auditor.javascript.shell-command-built-from-string
  exec('npm run build');
}

// ------------------------------------------------------------ code injection
app.post('/calc', (req, res) => {
  // ruleid: auditor.javascript.code-injection, auditor.javascript.xss-response-reflection
  res.send(String(eval(req.body.expr)));
});

app.post('/calc2', (req, res) => {
  // ok: auditor.javascript.code-injection
  const data = JSON.parse(req.body.expr);
  res.json(data);
});

// ------------------------------------------------------------ path traversal
app.get('/file', (req, res) => {
  const p = path.join(__dirname, 'uploads', req.query.name);
  // ruleid: auditor.javascript.path-traversal
  fs.readFile(p, (err, data) => res.json({ size: data.length }));
});

app.post('/fetch', (req, res) => {
  var filename = path.resolve(process.cwd() + '/public/uploads/' + req.body.filename);
  // ruleid: auditor.javascript.path-traversal
  res.download(filename);
});

app.get('/file2', (req, res) => {
  const p = path.join(__dirname, 'uploads', path.basename(req.query.name));
  // ok: auditor.javascript.path-traversal
  res.sendFile(p);
});

// -------------------------------------------------------- template injection
app.get('/tpl', (req, res) => {
  // ruleid: auditor.javascript.template-injection
  const html = ejs.render(req.query.template, {});
  res.json({ html });
});

app.get('/tpl2', (req, res) => {
  // ok: auditor.javascript.template-injection
  const html = ejs.render('<p><%= name %></p>', { name: req.query.name });
  res.json({ html });
});

// ----------------------------------------------------------------------- XSS
function showHash() {
  const el = document.getElementById('out');
  // ruleid: auditor.javascript.xss-dom-sink
  el.innerHTML = decodeURIComponent(location.hash.slice(1));
}

window.onload = function () {
  var messageEle = document.getElementById('message');
  function receiveMessage(e) {
    // ruleid: auditor.javascript.xss-dom-sink
    messageEle.innerHTML = e.data;
  }
  window.addEventListener('message', receiveMessage);
};

function showHashSafe() {
  const el = document.getElementById('out');
  // ok: auditor.javascript.xss-dom-sink
  el.textContent = location.hash.slice(1);
}

function showHashPurified() {
  const el = document.getElementById('out');
  // ok: auditor.javascript.xss-dom-sink
  el.innerHTML = DOMPurify.sanitize(location.hash.slice(1));
}

app.get('/hello', (req, res) => {
  // ruleid: auditor.javascript.xss-response-reflection
  res.send('<h1>Hello ' + req.query.name + '</h1>');
});

app.get('/hello-json', (req, res) => {
  // ok: auditor.javascript.xss-response-reflection
  res.send(JSON.stringify({ name: req.query.name }));
});

async function koaHandler(ctx) {
  // ruleid: auditor.javascript.xss-response-reflection
  ctx.body = `<p>${ctx.query.q}</p>`;
}

app.get('/logout', (req, res) => {
  // ruleid: auditor.javascript.open-redirect
  res.redirect('http://' + req.params.redirect);
});

app.get('/home', (req, res) => {
  // ok: auditor.javascript.open-redirect
  res.redirect('/home');
});

// -------------------------------------------------- unsafe deserialization
app.post('/export', (req, res) => {
  const payload = Buffer.from(req.body.data, 'base64');
  // ruleid: auditor.javascript.unsafe-deserialization
  const data = serialize.unserialize(payload.toString());
  res.json(data);
});

app.post('/export2', (req, res) => {
  // ok: auditor.javascript.unsafe-deserialization
  const data = JSON.parse(Buffer.from(req.body.data, 'base64').toString());
  res.json(data);
});

// --------------------------------------------------- weak hashing / crypto
function hashPassword(password) {
  // ruleid: auditor.javascript.weak-password-hash
  return crypto.createHash('md5').update(password).digest('hex');
}

function hashSecret(user) {
  const h = crypto.createHash('sha1');
  // ruleid: auditor.javascript.weak-password-hash
  h.update(user.secret);
  return h.digest('hex');
}

function etag(body) {
  // ok: auditor.javascript.weak-password-hash
  return crypto.createHash('md5').update(body).digest('base64');
}

function hashPasswordStrong(password) {
  // ok: auditor.javascript.weak-password-hash
  return crypto.createHash('sha256').update(password).digest('hex');
}

function encryptDes(key, iv, data) {
  // ruleid: auditor.javascript.weak-cipher
  return crypto.createCipheriv('des-cbc', key, iv).update(data);
}

function encryptEcb(key, data) {
  // ruleid: auditor.javascript.weak-cipher
  return crypto.createCipheriv('aes-128-ecb', key, null).update(data);
}

function encryptOld(key, data) {
  // ruleid: auditor.javascript.weak-cipher
  return crypto.createCipher('aes192', key).update(data);
}

function encryptGcm(key, iv, data) {
  // ok: auditor.javascript.weak-cipher
  return crypto.createCipheriv('aes-256-gcm', key, iv).update(data);
}

// ---------------------------------------------- disabled verification / JWT
// ruleid: auditor.javascript.tls-verification-disabled
const agent = new https.Agent({ rejectUnauthorized: false });

// ruleid: auditor.javascript.tls-verification-disabled
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

// ok: auditor.javascript.tls-verification-disabled
const agent2 = new https.Agent({ rejectUnauthorized: true, ca: process.env.CA });

const jwtOptions = {
  expiresIn: '2d',
  // ruleid: auditor.javascript.jwt-none-algorithm
  algorithms: ['HS256', 'none'],
};

// ok: auditor.javascript.jwt-none-algorithm
const jwtOptions2 = { algorithms: ['HS256'] };

// ---------------------------------------------------------------------- SSRF
app.get('/proxy', async (req, res) => {
  // ruleid: auditor.javascript.ssrf
  const r = await axios.get(req.query.url);
  res.json(r.data);
});

app.get('/proxy2', async (req, res) => {
  // ruleid: auditor.javascript.ssrf
  const r = await fetch(`http://${req.body.host}/status`);
  res.json(await r.json());
});

app.get('/search', async (req, res) => {
  // ok: auditor.javascript.ssrf
  const r = await axios.get('https://api.example.org/search?q=' + encodeURIComponent(req.query.q));
  res.json(r.data);
});

// -------------------------------------------------------- hard-coded secrets
// ruleid: auditor.javascript.hardcoded-credential
const dbPassword = 'Sup3rS3cret!';

const config = {
  user: 'app',
  // ruleid: auditor.javascript.hardcoded-credential
  password: 'letmein',
};

function sign(user) {
  // ruleid: auditor.javascript.hardcoded-credential
  return jwt.sign({ sub: user.id }, 'my-signing-key-123');
}

const config2 = {
  // ok: auditor.javascript.hardcoded-credential
  password: process.env.DB_PASSWORD,
  // ok: auditor.javascript.hardcoded-credential
  secret: '',
};

function signOk(user) {
  // ok: auditor.javascript.hardcoded-credential
  return jwt.sign({ sub: user.id }, process.env.JWT_SECRET);
}

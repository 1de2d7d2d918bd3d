"""Small repositories in each language, a vulnerable and a clean version, for the analyzer tests.

Each vulnerable version has the classic mistakes the rule pack looks for (SQL built from request
input, a shell command from request input, weak hashing, TLS verification turned off); the clean
version does the same work safely. Written for these tests; secrets are built at run time so
this file holds no secret-looking literal.
"""

from __future__ import annotations

from pathlib import Path

PYTHON_VULNERABLE = {
    "app/views.py": """import hashlib
import os
import sqlite3

import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args.get("name")
    db = sqlite3.connect("app.db")
    return str(db.execute("SELECT * FROM users WHERE name = '" + name + "'").fetchall())


@app.route("/ping")
def ping():
    host = request.args.get("host")
    return str(os.system("ping -c 1 " + host))


def digest(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def fetch(url: str) -> str:
    return requests.get(url, verify=False).text
""",
    "requirements.txt": "flask==2.0.0\nrequests==2.31.0\n",
    "tests/test_views.py": "def test_nothing():\n    assert True\n",
}
PYTHON_CLEAN = {
    "app/views.py": """import hashlib
import sqlite3
import subprocess

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args.get("name")
    db = sqlite3.connect("app.db")
    return jsonify(db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchall())


@app.route("/ping")
def ping():
    host = request.args.get("host", "")
    return jsonify(returncode=subprocess.run(["ping", "-c", "1", "--", host], check=False).returncode)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str) -> str:
    return requests.get(url, timeout=10).text
""",
    "requirements.txt": "flask==2.3.3\nrequests==2.32.3\n",
    "tests/test_views.py": "def test_nothing():\n    assert True\n",
}

JAVASCRIPT_VULNERABLE = {
    "src/server.js": """const express = require('express');
const { exec } = require('child_process');
const crypto = require('crypto');
const mysql = require('mysql');

const app = express();
const db = mysql.createConnection({ host: 'localhost' });

app.get('/user', (req, res) => {
  db.query("SELECT * FROM users WHERE name = '" + req.query.name + "'", (err, rows) => res.json(rows));
});

app.get('/ping', (req, res) => {
  exec('ping -c 1 ' + req.query.host, (err, out) => res.send(out));
});

app.get('/hello', (req, res) => {
  res.send('<h1>Hello ' + req.query.name + '</h1>');
});

function digest(data) {
  return crypto.createHash('md5').update(data).digest('hex');
}

module.exports = { app, digest };
""",
    "package.json": '{"name": "demo", "dependencies": {"express": "4.17.1", "mysql": "2.18.1"}}\n',
    "test/server.test.js": "test('x', () => { expect(1).toBe(1); });\n",
}
JAVASCRIPT_CLEAN = {
    "src/server.js": """const express = require('express');
const { execFile } = require('child_process');
const crypto = require('crypto');
const mysql = require('mysql');

const app = express();
const db = mysql.createConnection({ host: 'localhost' });

app.get('/user', (req, res) => {
  db.query('SELECT * FROM users WHERE name = ?', [req.query.name], (err, rows) => res.json(rows));
});

app.get('/ping', (req, res) => {
  execFile('ping', ['-c', '1', '--', String(req.query.host)], (err, out) => res.send(out));
});

app.get('/hello', (req, res) => {
  res.json({ hello: req.query.name });
});

function digest(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

module.exports = { app, digest };
""",
    "package.json": '{"name": "demo", "dependencies": {"express": "4.21.2", "mysql": "2.18.1"}}\n',
    "test/server.test.js": "test('x', () => { expect(1).toBe(1); });\n",
}

TYPESCRIPT_VULNERABLE = {
    "src/handler.ts": """import { Request, Response } from 'express';
import { exec } from 'child_process';

export function ping(req: Request, res: Response): void {
  exec('ping -c 1 ' + req.query.host, (err, out) => res.send(out));
}
""",
}
TYPESCRIPT_CLEAN = {
    "src/handler.ts": """import { Request, Response } from 'express';
import { execFile } from 'child_process';

export function ping(req: Request, res: Response): void {
  execFile('ping', ['-c', '1', '--', String(req.query.host)], (err, out) => res.send(out));
}
""",
}

GO_VULNERABLE = {
    "main.go": """package main

import (
	"crypto/md5"
	"crypto/tls"
	"database/sql"
	"fmt"
	"net/http"
	"os/exec"
)

var db *sql.DB

func user(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	rows, _ := db.Query("SELECT * FROM users WHERE name = '" + name + "'")
	defer rows.Close()
}

func ping(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	out, _ := exec.Command("sh", "-c", "ping -c 1 "+host).Output()
	w.Write(out)
}

func digest(data []byte) string {
	return fmt.Sprintf("%x", md5.Sum(data))
}

func client() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func main() {
	http.HandleFunc("/user", user)
	http.HandleFunc("/ping", ping)
	http.ListenAndServe(":8080", nil)
}
""",
    "go.mod": "module example.com/demo\n\ngo 1.21\n\nrequire golang.org/x/net v0.7.0\n",
}
GO_CLEAN = {
    "main.go": """package main

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/http"
	"os/exec"
)

var db *sql.DB

func user(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	rows, _ := db.Query("SELECT * FROM users WHERE name = ?", name)
	defer rows.Close()
}

func ping(w http.ResponseWriter, r *http.Request) {
	host := r.URL.Query().Get("host")
	out, _ := exec.Command("ping", "-c", "1", "--", host).Output()
	w.Write(out)
}

func digest(data []byte) string {
	return fmt.Sprintf("%x", sha256.Sum256(data))
}

func main() {
	http.HandleFunc("/user", user)
	http.HandleFunc("/ping", ping)
	http.ListenAndServe(":8080", nil)
}
""",
    "go.mod": "module example.com/demo\n\ngo 1.21\n\nrequire golang.org/x/net v0.23.0\n",
    "main_test.go": 'package main\n\nimport "testing"\n\nfunc TestNothing(t *testing.T) {}\n',
}

JAVA_VULNERABLE = {
    "src/main/java/com/example/UserController.java": """package com.example;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.servlet.http.HttpServletRequest;

public class UserController {
    private Connection connection;

    public ResultSet find(HttpServletRequest request) throws Exception {
        String name = request.getParameter("name");
        Statement statement = connection.createStatement();
        return statement.executeQuery("SELECT * FROM users WHERE name = '" + name + "'");
    }

    public Process ping(HttpServletRequest request) throws Exception {
        return Runtime.getRuntime().exec("ping -c 1 " + request.getParameter("host"));
    }

    public byte[] digest(byte[] data) throws Exception {
        return MessageDigest.getInstance("MD5").digest(data);
    }
}
""",
    "pom.xml": """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>demo</artifactId>
  <version>1.0</version>
  <properties><jackson.version>2.9.8</jackson.version></properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
  </dependencies>
</project>
""",
}
JAVA_CLEAN = {
    "src/main/java/com/example/UserController.java": """package com.example;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import javax.servlet.http.HttpServletRequest;

public class UserController {
    private Connection connection;
    private String monitoredHost = "db.internal";

    public ResultSet find(HttpServletRequest request) throws Exception {
        PreparedStatement statement = connection.prepareStatement("SELECT * FROM users WHERE name = ?");
        statement.setString(1, request.getParameter("name"));
        return statement.executeQuery();
    }

    public Process ping(HttpServletRequest request) throws Exception {
        return new ProcessBuilder("ping", "-c", "1", "--", monitoredHost).start();
    }

    public byte[] digest(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
""",
    "src/test/java/com/example/UserControllerTest.java": (
        "package com.example;\n\nclass UserControllerTest {}\n"
    ),
    "pom.xml": JAVA_VULNERABLE["pom.xml"].replace("2.9.8", "2.15.0"),
}

CARGO_PACKAGE = '[package]\nname = "demo"\nversion = "0.1.0"\n\n'
CARGO_LOCK = (
    '[[package]]\nname = "demo"\nversion = "0.1.0"\n\n'
    + '[[package]]\nname = "smallvec"\nversion = "{smallvec}"\n'
)
RUST_VULNERABLE = {
    "src/main.rs": """use std::process::Command;

fn ping(host: &str) -> std::io::Result<std::process::Output> {
    Command::new("sh").arg("-c").arg(format!("ping -c 1 {}", host)).output()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap()
}

fn digest(data: &[u8]) -> String {
    format!("{:x}", md5::compute(data))
}

fn main() {
    let host = std::env::args().nth(1).unwrap();
    ping(&host).unwrap();
}
""",
    "Cargo.toml": CARGO_PACKAGE + '[dependencies]\nreqwest = "0.11"\nmd5 = "0.7"\n',
    "Cargo.lock": CARGO_LOCK.format(smallvec="1.6.0"),
}
RUST_CLEAN = {
    "src/main.rs": """use std::process::Command;

fn ping(host: &str) -> std::io::Result<std::process::Output> {
    Command::new("ping").args(["-c", "1", "--", host]).output()
}

fn digest(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(data))
}

fn main() {
    let host = std::env::args().nth(1).unwrap();
    ping(&host).unwrap();
}
""",
    "Cargo.toml": CARGO_PACKAGE + '[dependencies]\nsha2 = "0.10"\n',
    "Cargo.lock": CARGO_LOCK.format(smallvec="1.13.2"),
    "tests/ping.rs": "#[test]\nfn nothing() {}\n",
}

REPOSITORIES = {
    "python": (PYTHON_VULNERABLE, PYTHON_CLEAN),
    "javascript": (JAVASCRIPT_VULNERABLE, JAVASCRIPT_CLEAN),
    "typescript": (TYPESCRIPT_VULNERABLE, TYPESCRIPT_CLEAN),
    "go": (GO_VULNERABLE, GO_CLEAN),
    "java": (JAVA_VULNERABLE, JAVA_CLEAN),
    "rust": (RUST_VULNERABLE, RUST_CLEAN),
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root

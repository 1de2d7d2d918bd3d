// Test cases for the auditor Rust rule pack (semgrep --test format).
use std::fs::File;
use std::process::Command;

use md5::Md5;
use sha1::Sha1;

// ------------------------------------------------------------ SQL injection
async fn find_user(pool: &PgPool, name: &str) -> Result<User, sqlx::Error> {
    // ruleid: auditor.rust.sql-built-with-format
    sqlx::query_as(&format!("SELECT * FROM users WHERE name = '{}'", name))
        .fetch_one(pool)
        .await
}

fn delete_user(conn: &Connection, id: &str) {
    let q = format!("DELETE FROM users WHERE id = {}", id);
    // ruleid: auditor.rust.sql-built-with-format
    conn.execute(&q, []).unwrap();
}

async fn find_user_safe(pool: &PgPool, name: &str) -> Result<User, sqlx::Error> {
    // ok: auditor.rust.sql-built-with-format
    sqlx::query_as("SELECT * FROM users WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
}

fn log_line(conn: &Connection, n: usize) {
    // ok: auditor.rust.sql-built-with-format
    conn.execute(&format!("processed {} rows", n), []).unwrap();
}

// -------------------------------------------------------- command injection
fn run_user_cmd(cmd: &str) {
    // ruleid: auditor.rust.shell-command-non-literal
    Command::new("sh").arg("-c").arg(cmd).output().unwrap();
}

fn run_fixed() {
    // ok: auditor.rust.shell-command-non-literal
    Command::new("sh").arg("-c").arg("make assets").output().unwrap();
}

fn run_direct(file: &str) {
    // ok: auditor.rust.shell-command-non-literal
    Command::new("convert").arg(file).arg("out.png").output().unwrap();
}

// ------------------------------------------------------------ path traversal
async fn serve(req: Request<Body>) -> Response<Body> {
    let path = format!("static{}", req.uri().path());
    // ruleid: auditor.rust.path-traversal
    let content = tokio::fs::read(path).await.unwrap();
    Response::new(Body::from(content))
}

async fn serve_index(req: Request<Body>) -> Response<Body> {
    // ok: auditor.rust.path-traversal
    let content = tokio::fs::read("static/index.html").await.unwrap();
    Response::new(Body::from(content))
}

// ----------------------------------------------------------------------- XSS
async fn hello(Query(params): Query<Params>) -> Html<String> {
    // ruleid: auditor.rust.html-built-with-format
    Html(format!("<h1>Hello {}</h1>", params.name))
}

async fn hello_static() -> Html<String> {
    // ok: auditor.rust.html-built-with-format
    Html(format!("{}", "<h1>Hello</h1>"))
}

// --------------------------------------------------- weak hashing / crypto
fn hash_password(password: &str) -> String {
    // ruleid: auditor.rust.weak-password-hash
    format!("{:x}", md5::compute(password.as_bytes()))
}

fn hash_secret(secret: &[u8]) -> Vec<u8> {
    let mut h = Sha1::new();
    // ruleid: auditor.rust.weak-password-hash
    h.update(secret);
    h.finalize().to_vec()
}

fn etag(body: &[u8]) -> String {
    // ok: auditor.rust.weak-password-hash
    format!("{:x}", md5::compute(body))
}

fn des_cipher(key: &[u8]) {
    // ruleid: auditor.rust.weak-cipher
    let c = Des::new_from_slice(key).unwrap();
}

fn ecb_cipher() -> Cipher {
    // ruleid: auditor.rust.weak-cipher
    Cipher::aes_128_ecb()
}

fn gcm_cipher() -> Cipher {
    // ok: auditor.rust.weak-cipher
    Cipher::aes_256_gcm()
}

// ---------------------------------------------- disabled verification
fn insecure_client() -> reqwest::Client {
    reqwest::Client::builder()
        // ruleid: auditor.rust.tls-verification-disabled
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
}

fn secure_client() -> reqwest::Client {
    reqwest::Client::builder()
        // ok: auditor.rust.tls-verification-disabled
        .danger_accept_invalid_certs(false)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------- SSRF
async fn proxy(req: Request<Body>) -> String {
    let target = req.uri().query().unwrap_or("").to_string();
    // ruleid: auditor.rust.ssrf
    reqwest::get(target).await.unwrap().text().await.unwrap()
}

async fn status() -> String {
    // ok: auditor.rust.ssrf
    reqwest::get("https://api.example.org/status").await.unwrap().text().await.unwrap()
}

// -------------------------------------------------------- hard-coded secrets
// ruleid: auditor.rust.hardcoded-credential
const DB_PASSWORD: &str = "Sup3rS3cret!";

fn config() -> Config {
    Config {
        user: "app".to_string(),
        // ruleid: auditor.rust.hardcoded-credential
        password: "letmein123".to_string(),
    }
}

fn config_env() -> Config {
    Config {
        user: "app".to_string(),
        // ok: auditor.rust.hardcoded-credential
        password: std::env::var("DB_PASSWORD").unwrap(),
    }
}

// ok: auditor.rust.hardcoded-credential
const PASSWORD_HEADER: &str = "x-password";

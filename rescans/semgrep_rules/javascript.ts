// TypeScript test cases for the auditor JavaScript/TypeScript rule pack.
import { Request, Response } from 'express';
import { exec } from 'child_process';
import * as https from 'https';

export async function getUser(req: Request, res: Response): Promise<void> {
  const id: string = req.params.id as string;
  // ruleid: auditor.javascript.sql-injection
  const rows = await db.query(`SELECT * FROM users WHERE id = ${id}`);
  res.json(rows);
}

export async function getUserSafe(req: Request, res: Response): Promise<void> {
  // ok: auditor.javascript.sql-injection
  const rows = await db.query('SELECT * FROM users WHERE id = $1', [req.params.id]);
  res.json(rows);
}

export function run(req: Request, res: Response): void {
  // ruleid: auditor.javascript.command-injection, auditor.javascript.shell-command-built-from-string
  exec(`convert ${req.query.file} out.png`, () => res.end());
}

export function show(el: HTMLElement): void {
  // ruleid: auditor.javascript.xss-dom-sink
  el.innerHTML = new URLSearchParams(window.location.search).get('msg') ?? '';
}

// ruleid: auditor.javascript.tls-verification-disabled
export const insecureAgent = new https.Agent({ rejectUnauthorized: false });

// ruleid: auditor.javascript.hardcoded-credential
const apiKey: string = 'AKIA1234567890EXAMPLEKEY';

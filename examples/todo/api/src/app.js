/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: the Lambda runtime provides the AWS SDK to require() (ES modules would have to bundle it) */
// The todo API: an Express app (exported; the express component wraps it for Lambda).
// The table's name comes from the instance's inputs (TABLE: ${output:table.name}); the AWS SDK v3
// is provided by the Lambda runtime, and the function's role may touch this table only.
const { randomUUID } = require('node:crypto');
const express = require('express');
const { DynamoDBClient, PutItemCommand, ScanCommand, DeleteItemCommand } = require('@aws-sdk/client-dynamodb');

const db = new DynamoDBClient({});
const table = process.env.TABLE;
const app = express();

// The page is served from the website's origin: allow it to call this API.
app.use((req, res, next) => {
  res.set('access-control-allow-origin', '*');
  res.set('access-control-allow-methods', 'GET,POST,DELETE,OPTIONS');
  res.set('access-control-allow-headers', 'content-type');
  if (req.method === 'OPTIONS') return res.status(204).end();
  return next();
});
app.use(express.json());

app.get('/todos', async (_req, res) => {
  const out = await db.send(new ScanCommand({ TableName: table }));
  const todos = (out.Items ?? []).map((i) => ({ id: i.id.S, text: i.text.S, createdAt: Number(i.createdAt.N) }));
  todos.sort((a, b) => a.createdAt - b.createdAt);
  res.json({ todos });
});

app.post('/todos', async (req, res) => {
  const text = typeof req.body?.text === 'string' ? req.body.text.trim() : '';
  if (!text || text.length > 500) return res.status(400).json({ error: 'expected { "text": "..." } with 1 to 500 characters' });
  const todo = { id: randomUUID(), text, createdAt: Date.now() };
  await db.send(new PutItemCommand({ TableName: table, Item: { id: { S: todo.id }, text: { S: todo.text }, createdAt: { N: String(todo.createdAt) } } }));
  return res.status(201).json(todo);
});

app.delete('/todos/:id', async (req, res) => {
  await db.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: req.params.id } } }));
  res.status(204).end();
});

module.exports = app;

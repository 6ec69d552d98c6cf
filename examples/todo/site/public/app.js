/* global window, document, fetch */
// The page: lists the todos from the API and adds new ones. window.env.apiUrl comes from env.js,
// which the website component writes from its `env` input (${output:api.url}).
const api = (window.env && window.env.apiUrl || '').replace(/\/+$/, '');
const list = document.getElementById('todos');
const status = document.getElementById('status');

function render(todos) {
  list.replaceChildren(...todos.map((t) => {
    const li = document.createElement('li');
    li.textContent = t.text;
    li.dataset.id = t.id;
    return li;
  }));
}

async function load() {
  const res = await fetch(`${api}/todos`);
  if (!res.ok) throw new Error(`GET /todos answered ${res.status}`);
  render((await res.json()).todos);
  status.textContent = '';
}

document.getElementById('add').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = document.getElementById('text');
  status.textContent = 'Saving…';
  try {
    const res = await fetch(`${api}/todos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: input.value }) });
    if (!res.ok) throw new Error(`POST /todos answered ${res.status}`);
    input.value = '';
    await load();
  } catch (err) {
    status.textContent = String(err.message || err);
  }
});

load().catch((err) => { status.textContent = String(err.message || err); });

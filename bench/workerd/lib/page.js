// What every JavaScript Worker in the comparison shares with the C++ core's
// page, byte for byte: the LocalLibrary home page, Django's default security
// headers, the catalog's four COUNT(*) statements and the cookie's name and
// age. (run.mjs checks each Worker's page against ours.)
export const COOKIE = 'sessionid';
export const AGE = 1209600;
export const COUNT_SQL = [
  'SELECT COUNT(*) AS n FROM catalog_book',
  'SELECT COUNT(*) AS n FROM catalog_bookinstance',
  "SELECT COUNT(*) AS n FROM catalog_bookinstance WHERE status = 'a'",
  'SELECT COUNT(*) AS n FROM catalog_author',
];

export const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]);

export const page = ({ books, copies, available, authors, visits, notSaved }) => `<!DOCTYPE html>
<html lang="en">
<head>
  <title>Local Library</title>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/css/bootstrap.min.css" integrity="sha384-QWTKZyjpPEjISv5WaRU9OFeRpok6YctnYmDr5pNlyT2bRjXh0JMhjY6hW+ALEwIH" crossorigin="anonymous">
  <!-- Add additional CSS in static file -->
  
  <link rel="stylesheet" href="/static/css/styles.css">
</head>
<body>
  <div class="container-fluid">
    <div class="row">
      <div class="col-sm-2">
      
        <ul class="sidebar-nav">
          <li><a href="/catalog/">Home</a></li>
          <li><a href="/catalog/bookinstances/">All book copies</a></li>
          <li><a href="/catalog/books/">All books</a></li>
          <li><a href="/catalog/authors/">All authors</a></li>
          <li><a href="/catalog/genres/">All genres</a></li>
          <li><a href="/catalog/languages/">All languages</a></li>
          <li><a href="/accounts/login/?next=/catalog/">Login</a></li>
        </ul>
      
      </div>
      <div class="col-sm-10 ">
      
  <h1>Local Library Home</h1>
  <p>Welcome to LocalLibrary, a website developed by <em>Mozilla Developer Network</em>!</p>
  <h2>UML Models</h2>
  <img src="/static/images/local_library_model_uml.png" alt="UML diagram" style="width:75%">
  <h2>Dynamic content</h2>
  <p>The library has the following record counts:</p>
  <ul>
    <li><strong>Books:</strong> ${books}</li>
    <li><strong>Copies:</strong> ${copies}</li>
    <li><strong>Copies available:</strong> ${available}</li>
    <li><strong>Authors:</strong> ${authors}</li>
  </ul>
  <p>You have visited this page ${escapeHtml(visits)} time${visits === 1 ? '' : 's'}.</p>
  ${notSaved ? `
  <p class="warning">Your session is too large to be saved; this visit was not counted.</p>
  ` : ''}

      
        
      
      </div>
    </div>
  </div>
</body>
</html>
`;

export const SECURITY = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['X-Frame-Options', 'DENY'],
];


// The four counts from one D1 batch, as the tutorial's view asks for them.
export async function counts(db) {
  const answers = await db.batch(COUNT_SQL.map((sql) => db.prepare(sql)));
  const [books, copies, available, authors] = answers.map((a) => a.results[0].n);
  return { books, copies, available, authors };
}

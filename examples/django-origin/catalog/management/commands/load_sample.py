"""Loads the Worker's sample catalog into the origin's database.

Executes the very file the Worker's D1 is filled from
(migrations/0003_sample_catalog.sql at the repository root), so both sides
count the same books, copies and authors. Idempotent: does nothing when the
catalog already has books.
"""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from catalog.models import Book

DEFAULT_SQL = Path(settings.BASE_DIR).parent.parent / 'migrations' / '0003_sample_catalog.sql'


class Command(BaseCommand):
    help = "Load the sample catalog (the Worker's migrations/0003_sample_catalog.sql) if the catalog is empty."

    def add_arguments(self, parser):
        parser.add_argument('--sql', default=str(DEFAULT_SQL), help='the SQL file (default: %(default)s)')

    def handle(self, *args, **options):
        if connection.vendor != 'sqlite':
            raise CommandError('load_sample executes SQLite SQL: use the sqlite3 database backend')
        if Book.objects.exists():
            self.stdout.write('sample catalog: already loaded')
            return
        path = Path(options['sql'])
        try:
            sql = path.read_text(encoding='utf-8')
        except OSError as e:
            raise CommandError(f'cannot read {path}: {e}')
        connection.ensure_connection()
        # One transaction: either the whole catalog or nothing.
        connection.connection.executescript(f'BEGIN;\n{sql}\nCOMMIT;')
        self.stdout.write(f'sample catalog: loaded {path.name} ({Book.objects.count()} books)')

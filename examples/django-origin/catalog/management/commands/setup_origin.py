"""Everything run.sh needs before serving, in one interpreter start:
migrate, load_sample, create_demo_users (all idempotent)."""
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = 'migrate + load_sample + create_demo_users (idempotent).'

    def add_arguments(self, parser):
        parser.add_argument('--password', default=None, help='demo users password (default: $DEMO_PASSWORD)')

    def handle(self, *args, **options):
        call_command('migrate', interactive=False, verbosity=0)
        self.stdout.write('database: migrated')
        call_command('load_sample')
        extra = {} if options['password'] is None else {'password': options['password']}
        call_command('create_demo_users', **extra)

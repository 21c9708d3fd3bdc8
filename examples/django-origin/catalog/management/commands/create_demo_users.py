"""Creates the demo accounts, idempotently:

- `reader`: an ordinary library member, borrower of a few of the copies on loan
  (so "My Borrowed" lists something);
- `librarian`: staff, in the group Librarians with catalog.can_mark_returned
  (so "All borrowed" appears).

The password comes from --password or the DEMO_PASSWORD environment variable
and is (re)set on every run; a user that does not exist yet needs one.
"""
import os

from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog.models import BookInstance

# Copies on loan ('o') of these books are lent to `reader` (sample catalog ids):
# Pride and Prejudice, Great Expectations, The Left Hand of Darkness.
READER_BOOKS = (1, 3, 12)


class Command(BaseCommand):
    help = 'Create (or update) the demo users reader and librarian.'

    def add_arguments(self, parser):
        parser.add_argument('--password', default=os.environ.get('DEMO_PASSWORD', ''),
                            help='password for both users (default: $DEMO_PASSWORD)')

    @transaction.atomic
    def handle(self, *args, **options):
        password = options['password']
        librarians, _ = Group.objects.get_or_create(name='Librarians')
        librarians.permissions.add(Permission.objects.get(
            content_type__app_label='catalog', codename='can_mark_returned'))

        for username, staff in (('reader', False), ('librarian', True)):
            user = User.objects.filter(username=username).first()
            if user is None:
                if not password:
                    raise CommandError(f'{username} does not exist yet: give a password (--password or DEMO_PASSWORD)')
                user = User(username=username)
            if password:
                user.set_password(password)
            user.is_staff = staff
            user.save()
            if staff:
                user.groups.add(librarians)
            self.stdout.write(f'demo user: {username}' + (' (staff, Librarians)' if staff else ''))

        reader = User.objects.get(username='reader')
        lent = BookInstance.objects.filter(status='o', book_id__in=READER_BOOKS, borrower__isnull=True).update(borrower=reader)
        if lent:
            self.stdout.write(f'demo user: reader borrows {lent} copies')

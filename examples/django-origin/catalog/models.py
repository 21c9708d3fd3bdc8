"""The MDN LocalLibrary models.

`manage.py sqlmigrate catalog 0001` writes exactly the tables of the Worker's
D1 (migrations/0002_catalog.sql at the repository root): same table names,
columns, types and indexes (tests/node/origin.test.js checks it). Migration
0002 adds what only the origin needs: BookInstance.borrower (a foreign key to
auth_user, which the Worker's D1 does not have) and the can_mark_returned
permission.
"""
import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.urls import reverse


class Genre(models.Model):
    """A book genre (e.g. Science Fiction)."""
    name = models.CharField(max_length=200, unique=True,
                            help_text='Enter a book genre (e.g. Science Fiction, French Poetry etc.)')

    class Meta:
        ordering = ['name']

    def __str__(self):
        return self.name


class Language(models.Model):
    """A natural language (e.g. English, French)."""
    name = models.CharField(max_length=200, unique=True,
                            help_text="Enter the book's natural language (e.g. English, French, Japanese etc.)")

    class Meta:
        ordering = ['name']

    def __str__(self):
        return self.name


class Author(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    date_of_death = models.DateField('died', null=True, blank=True)

    class Meta:
        ordering = ['last_name', 'first_name']

    def get_absolute_url(self):
        return reverse('author-detail', args=[str(self.id)])

    def __str__(self):
        return f'{self.last_name}, {self.first_name}'


class Book(models.Model):
    """A book (but not a specific copy of a book)."""
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.RESTRICT, null=True)
    summary = models.TextField(max_length=1000, help_text='Enter a brief description of the book')
    isbn = models.CharField('ISBN', max_length=13, unique=True,
                            help_text='13 Character <a href="https://www.isbn-international.org/content/what-isbn">ISBN number</a>')
    genre = models.ManyToManyField(Genre, help_text='Select a genre for this book')
    language = models.ForeignKey(Language, on_delete=models.SET_NULL, null=True)

    class Meta:
        ordering = ['title', 'author']

    def display_genre(self):
        """A string for the genres, for the admin."""
        return ', '.join(genre.name for genre in self.genre.all()[:3])

    display_genre.short_description = 'Genre'

    def get_absolute_url(self):
        return reverse('book-detail', args=[str(self.id)])

    def __str__(self):
        return self.title


class BookInstance(models.Model):
    """A specific copy of a book (one that can be borrowed)."""
    id = models.UUIDField(primary_key=True, default=uuid.uuid4,
                          help_text='Unique ID for this particular book across whole library')
    book = models.ForeignKey(Book, on_delete=models.RESTRICT, null=True)
    imprint = models.CharField(max_length=200)
    due_back = models.DateField(null=True, blank=True)
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    # 'd' for maintenance, as in the tutorial's current text and the sample
    # catalog (migrations/0003_sample_catalog.sql); older text used 'm'.
    LOAN_STATUS = (
        ('d', 'Maintenance'),
        ('o', 'On loan'),
        ('a', 'Available'),
        ('r', 'Reserved'),
    )
    status = models.CharField(max_length=1, choices=LOAN_STATUS, blank=True, default='d',
                              help_text='Book availability')

    class Meta:
        ordering = ['due_back']
        permissions = (('can_mark_returned', 'Set book as returned'),)

    @property
    def is_overdue(self):
        """True if the copy is past its due date."""
        return bool(self.due_back and date.today() > self.due_back)

    def __str__(self):
        return f'{self.id} ({self.book.title})'

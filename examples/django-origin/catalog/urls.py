"""The catalog's named URLs: the tutorial's names, and the Worker's
(src/app/routes.h: index, books, book-detail, authors, author-detail,
bookinstances, genres, languages; login and logout come from
django.contrib.auth.urls)."""
from django.urls import path

from . import views

urlpatterns = [
    path('', views.index, name='index'),
    path('books/', views.BookListView.as_view(), name='books'),
    path('book/<int:pk>', views.BookDetailView.as_view(), name='book-detail'),
    path('authors/', views.AuthorListView.as_view(), name='authors'),
    path('author/<int:pk>', views.AuthorDetailView.as_view(), name='author-detail'),
    path('bookinstances/', views.BookInstanceListView.as_view(), name='bookinstances'),
    path('genres/', views.GenreListView.as_view(), name='genres'),
    path('languages/', views.LanguageListView.as_view(), name='languages'),
    path('mybooks/', views.LoanedBooksByUserListView.as_view(), name='my-borrowed'),
    path('borrowed/', views.LoanedBooksAllListView.as_view(), name='all-borrowed'),
]

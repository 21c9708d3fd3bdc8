from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import path


def index(request):
    # The MDN LocalLibrary view (the counts are fixed: no database).
    num_visits = request.session.get('num_visits', 0) + 1
    request.session['num_visits'] = num_visits
    context = {
        'num_books': 12,
        'num_instances': 28,
        'num_instances_available': 11,
        'num_authors': 8,
        'num_visits': num_visits,
    }
    return render(request, 'index.html', context=context)


def other(request, **kwargs):
    return HttpResponse('')


urlpatterns = [
    path('', lambda request: HttpResponsePermanentRedirect('/catalog/')),
    path('catalog/', index, name='index'),
    path('catalog/books/', other, name='books'),
    path('catalog/book/<int:pk>', other, name='book-detail'),
    path('catalog/authors/', other, name='authors'),
    path('catalog/author/<int:pk>', other, name='author-detail'),
    path('catalog/bookinstances/', other, name='bookinstances'),
    path('catalog/genres/', other, name='genres'),
    path('catalog/languages/', other, name='languages'),
    path('accounts/login/', other, name='login'),
    path('accounts/logout/', other, name='logout'),
]

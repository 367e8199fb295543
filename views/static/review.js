// The coach's rubric: a live total as levels are picked, and keys for grading a class in one
// sitting (a digit picks that level of the focused row and moves to the next row; Ctrl+Enter is
// "Simpan & berikutnya"). Without this script the form posts as usual and the server computes the score.
(function () {
  var form = document.querySelector('form.rubric-form');
  if (!form) return;
  var out = document.getElementById('review-total');
  var rows = [].slice.call(form.querySelectorAll('fieldset.rubric-row'));
  var maxScore = Number(form.getAttribute('data-max-score'));
  var totalPoints = Number(form.getAttribute('data-total-points'));

  // The same rule as the server's scaledScore: points over the rubric's best, scaled, two decimals.
  function total() {
    var points = 0;
    for (var i = 0; i < rows.length; i++) {
      var picked = rows[i].querySelector('input[type=radio]:checked');
      if (!picked) return '–';
      points += Number(picked.getAttribute('data-points'));
    }
    if (!(totalPoints > 0)) return '0';
    return String(Math.round((points / totalPoints) * maxScore * 100) / 100);
  }
  function show() { if (out) out.textContent = total(); }
  form.addEventListener('change', show);

  // The comment bank: one click puts a kept comment into this review's comment, to edit there.
  var comment = document.getElementById('f-comment');
  [].forEach.call(form.querySelectorAll('button[data-insert]'), function (b) {
    b.hidden = false;
    b.addEventListener('click', function () {
      var text = b.closest('li').querySelector('.bank-text').textContent;
      comment.value = comment.value.trim() ? comment.value.replace(/\s+$/, '') + '\n\n' + text : text;
      comment.focus();
    });
  });

  form.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      var next = document.getElementById('save-next');
      if (next) next.click();
      return;
    }
    if (!/^[1-9]$/.test(e.key) || e.ctrlKey || e.metaKey || e.altKey) return;
    var row = e.target.closest && e.target.closest('fieldset.rubric-row');
    if (!row) return;
    var choice = row.querySelectorAll('input[type=radio]')[Number(e.key) - 1];
    if (!choice) return;
    e.preventDefault();
    choice.checked = true;
    show();
    var after = rows[rows.indexOf(row) + 1];
    var target = after ? after.querySelector('input:checked') || after.querySelector('input[type=radio]') : document.getElementById('f-comment');
    if (target) target.focus();
  });
  show();
  // Side by side with the writing (a wide screen), a fresh rubric takes the keys at once: three
  // digits and Ctrl+Enter grade one participant. Stacked on a phone, the writing comes first.
  if (window.matchMedia && window.matchMedia('(min-width: 56rem)').matches && rows[0] && !form.querySelector('.rubric-row input:checked')) {
    rows[0].querySelector('input[type=radio]').focus({ preventScroll: true });
  }
})();

namespace AgentOrchestration.Data.Delegation;

/// <summary>The delegation changes a lease holder makes through <see cref="Claims.IWorkClaimer"/>, fenced by its lease.</summary>
internal interface ILeaseDelegation
{
    /// <summary>Cancels the holder's assignment and returns the item to the queue (<see cref="IDelegationService.CancelAsync"/>).</summary>
    /// <param name="workItemId">The claimed item.</param>
    /// <param name="options">The fencing token, the lease's assignment and the note.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The item after the change.</returns>
    Task<Entities.WorkItem> CancelAsync(Guid workItemId, DelegationOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Completes claimed work: from assigned or in progress, under the same QA gate as <see cref="IDelegationService.CompleteAsync"/>.</summary>
    /// <param name="workItemId">The claimed item.</param>
    /// <param name="options">The fencing token and the lease's assignment.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The item after the change.</returns>
    Task<Entities.WorkItem> CompleteClaimAsync(Guid workItemId, DelegationOptions options, CancellationToken cancellationToken);
}
